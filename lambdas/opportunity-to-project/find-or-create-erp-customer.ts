import { taskHandler } from './runtime-steps';

/** Task state FindOrCreateErpCustomer of opportunity-to-project.asl.json. */
export const handler = taskHandler('FindOrCreateErpCustomer', { idempotent: true });
