import { WORKFLOWS } from '../../lib/topology/workflows';

/**
 * Retry pauses of every Task state of the state machines, shortened to `ms`: real backoff is seconds, and
 * end-to-end tests assert outcomes, not pauses. Task states are named after the functions they run.
 */
export function shortRetries(ms = 20): Record<string, number> {
  return Object.fromEntries(WORKFLOWS.flatMap((w) => w.stateMachines.flatMap((s) => Object.values(s.tasks))).map((task) => [task, ms]));
}
