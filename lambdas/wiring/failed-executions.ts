import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { stepFunctions } from '../common/clients/step-functions';
import type { TaskInput } from '../opportunity-to-project/step-handlers';
import { exceptionFor } from '../opportunity-to-project/step-handlers';
import type { RecordedWorkflow } from '../ops/failed-executions';
import type { FailedRunInput } from '../time-to-invoice/step-handlers';
import { billingException } from '../time-to-invoice/step-handlers';
import type { Container } from './container';

/** Each workflow's exception for a failed execution of its state machine, by the machine's ARN. */
export function recordedWorkflows(c: Container): ReadonlyMap<string, RecordedWorkflow> {
  const machines = c.env.workflowStateMachines();
  const byId: Record<string, RecordedWorkflow> = {
    OpportunityToProject: {
      exceptionOf: (input, execution, failure) => exceptionFor({ execution, state: { ...(input as TaskInput['state']), failure } } as TaskInput),
      businessFailures: ['OpportunityNeedsAttention'],
    },
    TimeToInvoice: {
      exceptionOf: (input, execution, failure) => billingException({ ...(input as FailedRunInput), execution, failure }),
      businessFailures: ['BillingNeedsAttention'],
    },
  };
  return new Map(Object.entries(machines).flatMap(([id, arn]) => (byId[id] ? [[arn, byId[id]] as const] : [])));
}

/** The input of an execution, for a status change that left it out (too large for the event). */
export async function executionInput(executionArn: string): Promise<string> {
  const { input } = await stepFunctions().send(new DescribeExecutionCommand({ executionArn }));
  return input ?? '{}';
}
