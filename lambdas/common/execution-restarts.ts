/**
 * The names of an operator's restarts of a failed execution (`npm run ops -- exceptions retry` past
 * Step Functions' 14-day redrive window starts it again under a new name), and how a workflow's steps
 * tell a restart from another execution.
 */

/** Step Functions' longest execution name. */
const MAX_EXECUTION_NAME = 80;

/** An operator's restart of an execution: `<execution>-ops<attempt>`. */
const RESTART_SUFFIX = /-ops\d+$/;

/**
 * The execution a name carries on: the name itself, or for an operator's restart (`<name>-ops<attempt>`)
 * the name it restarted. Restarts of restarts are named after the first: `<name>-ops2`, not `<name>-ops1-ops2`.
 */
export function originalExecutionName(execution: string): string {
  return execution.replace(RESTART_SUFFIX, '');
}

/** The name an operator's restart of an execution (or of a restart of it) runs under: `<original>-ops<attempt>`, cut to 80 characters. */
export function restartExecutionName(execution: string, attempt: number): string {
  const suffix = `-ops${attempt}`;
  return `${originalExecutionName(execution).slice(0, MAX_EXECUTION_NAME - suffix.length)}${suffix}`;
}

/**
 * Whether two executions are one run of the same work: the same execution, or one an operator's restart
 * of the other (or both restarts of one). A restart starts only once the execution it restarts has ended
 * (lambdas/ops/execution-retry.ts), so they never run at the same time. A name cut to fit its suffix no
 * longer matches its original: that restart then counts as another execution, which is the safe side.
 */
export function sameRun(a: string, b: string): boolean {
  return originalExecutionName(a) === originalExecutionName(b);
}
