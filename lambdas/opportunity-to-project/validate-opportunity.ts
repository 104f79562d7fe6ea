import { taskHandler } from './runtime-steps';

/** Task state ValidateOpportunity of opportunity-to-project.asl.json. */
export const handler = taskHandler('ValidateOpportunity', { idempotent: false });
