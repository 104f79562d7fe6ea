import { taskHandler } from './runtime-steps';

/** Task state CreatePsaProject of opportunity-to-project.asl.json. */
export const handler = taskHandler('CreatePsaProject', { idempotent: true });
