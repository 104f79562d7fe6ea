import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state AddPsaProjectPlan of opportunity-to-project.asl.json. */
export const handler = taskHandler('AddPsaProjectPlan', { idempotent: true, flow: 'sync' });
