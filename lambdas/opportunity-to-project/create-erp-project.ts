import { taskHandler } from './runtime-steps';

/** Task state CreateErpProject of opportunity-to-project.asl.json. */
export const handler = taskHandler('CreateErpProject', { idempotent: true });
