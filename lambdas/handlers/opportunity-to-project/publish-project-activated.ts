import { taskHandler } from '../../wiring/opportunity-to-project-tasks';

/** Task state PublishProjectActivated of opportunity-to-project.asl.json. */
export const handler = taskHandler('PublishProjectActivated', { idempotent: true });
