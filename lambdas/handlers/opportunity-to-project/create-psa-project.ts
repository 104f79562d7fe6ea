import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state CreatePsaProject of opportunity-to-project.asl.json. */
export const handler = taskHandler('CreatePsaProject', { idempotent: true, flow: 'sync' });
