import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state ValidateOpportunity of opportunity-to-project.asl.json. */
export const handler = taskHandler('ValidateOpportunity', { idempotent: false });
