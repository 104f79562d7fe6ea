import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state CreateErpProject of opportunity-to-project.asl.json. */
export const handler = taskHandler('CreateErpProject', { idempotent: true, flow: 'sync' });
