import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { stepFunctions } from '../common/clients/step-functions';
import type { TaskInput } from '../opportunity-to-project/step-handlers';
import { exceptionFor } from '../opportunity-to-project/step-handlers';
import { RETRYABLE_WORKFLOWS } from '../ops/execution-retry';
import type { ExceptionOfExecution, RecordedWorkflow } from '../ops/failed-executions';
import type { FailedRunInput } from '../time-to-invoice/step-handlers';
import { billingException } from '../time-to-invoice/step-handlers';
import type { Container } from './container';

/** How each workflow turns a failed execution's input into its exception (the key its business path uses). */
const EXCEPTION_OF: Readonly<Record<keyof typeof RETRYABLE_WORKFLOWS, ExceptionOfExecution>> = {
  'opportunity-to-project': (input, execution, failure) => exceptionFor({ execution, state: { ...(input as TaskInput['state']), failure } } as TaskInput),
  'time-to-invoice': (input, execution, failure) => billingException({ ...(input as FailedRunInput), execution, failure }),
};

/** Each workflow's exception for a failed execution of its state machine, by the machine's ARN. */
export function recordedWorkflows(c: Container): ReadonlyMap<string, RecordedWorkflow> {
  const machines = c.env.workflowStateMachines();
  return new Map(
    Object.entries(RETRYABLE_WORKFLOWS).flatMap(([workflow, { stateMachine, businessFailures }]) => {
      const arn = machines[stateMachine];
      return arn ? [[arn, { exceptionOf: EXCEPTION_OF[workflow as keyof typeof RETRYABLE_WORKFLOWS], businessFailures }] as const] : [];
    }),
  );
}

/** The input of an execution, for a status change that left it out (too large for the event). */
export async function executionInput(executionArn: string): Promise<string> {
  const { input } = await stepFunctions().send(new DescribeExecutionCommand({ executionArn }));
  return input ?? '{}';
}
