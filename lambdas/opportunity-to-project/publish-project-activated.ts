import { taskHandler } from './runtime-steps';

/** Task state PublishProjectActivated of opportunity-to-project.asl.json. */
export const handler = taskHandler('PublishProjectActivated', { idempotent: true });
