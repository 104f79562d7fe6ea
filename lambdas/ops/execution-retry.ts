import { restartExecutionName } from '../common/execution-restarts';
import type { InboxEntry } from './exception-inbox';

/** An execution as the retry reads it (DescribeExecution). */
export interface ExecutionState {
  readonly status: string;
  readonly input: string;
  readonly error?: string;
  readonly redriveStatus?: string;
  readonly redriveStatusReason?: string;
}

/** The Step Functions calls a retry makes. */
export interface ExecutionControl {
  describe(executionArn: string): Promise<ExecutionState | undefined>;
  redrive(executionArn: string): Promise<void>;
  start(stateMachineArn: string, name: string, input: string): Promise<void>;
}

/** How a retry went: done (redriven or restarted), or refused with the reason a person reads. */
export type RetryOutcome =
  | { readonly retried: true; readonly how: 'redrive' | 'restart'; readonly execution: string; readonly attempt: number }
  | { readonly retried: false; readonly status: 404 | 409; readonly reason: string };

/** The state machine of each workflow whose executions can be retried, by id in lib/topology/. */
export const RETRYABLE_WORKFLOWS = {
  'opportunity-to-project': { stateMachine: 'OpportunityToProject', businessFailures: ['OpportunityNeedsAttention'] },
  'time-to-invoice': { stateMachine: 'TimeToInvoice', businessFailures: ['BillingNeedsAttention'] },
} as const satisfies Readonly<Record<string, { readonly stateMachine: string; readonly businessFailures: readonly string[] }>>;

/**
 * Retries the execution of an open exception: redriven from its failed step within Step Functions'
 * 14-day window (same ARN, same input; the steps that succeeded are not run again), else started anew
 * under `<name>-ops<attempt>` with the same input (its steps, safe to repeat, make nothing twice). An
 * execution that ended on its business path (the failure needs a fix in the source, such as a deal's
 * fields) is not retried: its remediation says what to do instead. While a retry runs, a second is refused.
 */
export async function retryExecution(entry: InboxEntry, machines: Readonly<Record<string, string>>, control: ExecutionControl): Promise<RetryOutcome> {
  const workflow = (RETRYABLE_WORKFLOWS as Readonly<Record<string, { readonly stateMachine: string; readonly businessFailures: readonly string[] }>>)[
    entry.workflow
  ];
  const machineArn = workflow ? machines[workflow.stateMachine] : undefined;
  if (!workflow || !machineArn || !entry.execution)
    return { retried: false, status: 409, reason: `${entry.ref} has no execution to retry: ${entry.remediation}` };
  // The execution the exception stands for now: while an operator's retry is under way (no failure since
  // has put it back to open) that is the retry's, which for a restart has a name of its own.
  const current = entry.state === 'retrying' && entry.lastRetry ? entry.lastRetry.execution : entry.execution;
  const executionArn = `${machineArn.replace(':stateMachine:', ':execution:')}:${current}`;
  const execution = await control.describe(executionArn);
  if (execution === undefined) return { retried: false, status: 404, reason: `The execution ${current} of ${entry.ref} no longer exists.` };
  if (execution.status === 'RUNNING') return { retried: false, status: 409, reason: `${current} is running already.` };
  if (execution.status === 'SUCCEEDED') return { retried: false, status: 409, reason: `${current} succeeded since; resolve the exception.` };
  if (execution.error && workflow.businessFailures.includes(execution.error))
    return { retried: false, status: 409, reason: `${entry.ref} needs a fix in its source, not a retry: ${entry.remediation}` };
  const attempt = (entry.opsAttempts ?? 0) + 1;
  if (execution.redriveStatus === 'REDRIVABLE') {
    await control.redrive(executionArn);
    return { retried: true, how: 'redrive', execution: current, attempt };
  }
  // Past the redrive window (or not redrivable for another reason): the same input, under a new name. The
  // workflow's steps take it for the execution it restarts (sameRun): a create that one reserved is its own.
  const name = restartExecutionName(current, attempt);
  await control.start(machineArn, name, execution.input);
  return { retried: true, how: 'restart', execution: name, attempt };
}
