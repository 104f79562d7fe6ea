import type { BusinessException } from '../common/exceptions';

/** The detail of Step Functions' "Execution Status Change" event, as EventBridge delivers it. */
export interface ExecutionStatusChange {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED' | string;
  /** Left out when the input is too large for the event (`inputDetails.included: false`). */
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
}

/** How one workflow turns its execution's input and failure into its exception (the same key its business path uses). */
export type ExceptionOfExecution = (input: unknown, execution: string, failure: { readonly Error: string; readonly Cause?: string }) => BusinessException;

/** A workflow whose executions are recorded: its exception builder and the Fail states' errors of its business path. */
export interface RecordedWorkflow {
  readonly exceptionOf: ExceptionOfExecution;
  /** Errors of the Fail states its Catch path ends in: already recorded there, with the CRM told. */
  readonly businessFailures: readonly string[];
}

/** What a person reads on an exception of an execution that stopped at its failed task. */
export const RESUME_REMEDIATION =
  'The execution stopped at the failed step with its input kept. Once the cause is gone (the vendor is back, the defect fixed and deployed), ' +
  'resume it from that step with npm run ops -- exceptions retry <this exception>; within 14 days of the failure it is redriven, later it starts again under a new name.';

/**
 * The exception for an execution that failed at a task (its retries spent on an outage or throttling, or
 * a defect), timed out or was aborted; undefined for another stack's machine, or a failure its business
 * path has already recorded. `input` reads the execution's input when the event left it out.
 */
export async function failedExecutionException(
  change: ExecutionStatusChange,
  workflows: ReadonlyMap<string, RecordedWorkflow>,
  input: () => Promise<string>,
): Promise<BusinessException | undefined> {
  const workflow = workflows.get(change.stateMachineArn);
  if (workflow === undefined) return undefined;
  if (change.status === 'FAILED' && change.error && workflow.businessFailures.includes(change.error)) return undefined;
  const failure = {
    Error: change.error || (change.status === 'TIMED_OUT' ? 'States.Timeout' : change.status === 'ABORTED' ? 'States.Aborted' : 'States.Runtime'),
    ...(change.cause ? { Cause: change.cause } : change.status === 'TIMED_OUT' ? { Cause: 'the execution ran past its timeout' } : {}),
  };
  const exception = workflow.exceptionOf(JSON.parse(change.input ?? (await input())) as unknown, change.name, failure);
  return { ...exception, execution: change.name, remediation: RESUME_REMEDIATION };
}
