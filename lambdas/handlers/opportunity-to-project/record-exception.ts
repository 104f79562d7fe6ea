import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state RecordException of opportunity-to-project.asl.json. */
export const handler = taskHandler('RecordException', { idempotent: true, flow: 'sync' });
