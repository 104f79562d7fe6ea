import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state ApplyPsaRateCard of opportunity-to-project.asl.json. */
export const handler = taskHandler('ApplyPsaRateCard', { idempotent: true, flow: 'sync' });
