import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state FindOrCreateErpCustomer of opportunity-to-project.asl.json. */
export const handler = taskHandler('FindOrCreateErpCustomer', { idempotent: true, flow: 'sync' });
