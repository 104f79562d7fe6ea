import { taskHandler } from './runtime-steps';

/** Task state RecordException of opportunity-to-project.asl.json. */
export const handler = taskHandler('RecordException', { idempotent: true });
