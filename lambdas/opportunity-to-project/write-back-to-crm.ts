import { taskHandler } from './runtime-steps';

/** Task state WriteBackToCrm of opportunity-to-project.asl.json. */
export const handler = taskHandler('WriteBackToCrm', { idempotent: true });
