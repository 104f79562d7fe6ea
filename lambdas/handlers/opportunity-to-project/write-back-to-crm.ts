import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state WriteBackToCrm of opportunity-to-project.asl.json. */
export const handler = taskHandler('WriteBackToCrm', { idempotent: true, flow: 'sync' });
