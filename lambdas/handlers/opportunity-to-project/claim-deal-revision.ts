import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state ClaimDealRevision of opportunity-to-project.asl.json. */
export const handler = taskHandler('ClaimDealRevision', { idempotent: false });
