import { DescribeExecutionCommand, ExecutionDoesNotExist, RedriveExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sqs } from '../common/clients/sqs';
import { stepFunctions } from '../common/clients/step-functions';
import { SqsDeadLetterQueues } from '../ops/dead-letter-queues';
import type { ExecutionControl } from '../ops/execution-retry';
import type { OpsDependencies } from '../ops/ops-commands';
import { type Container, once } from './container';
import { exceptionInbox } from './exceptions';
import { auditTrail } from './tables';

/** The Step Functions calls of a retry. */
const executionControl: ExecutionControl = {
  async describe(executionArn) {
    try {
      const e = await stepFunctions().send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: e.status ?? 'UNKNOWN',
        input: e.input ?? '{}',
        ...(e.error ? { error: e.error } : {}),
        ...(e.redriveStatus ? { redriveStatus: e.redriveStatus } : {}),
        ...(e.redriveStatusReason ? { redriveStatusReason: e.redriveStatusReason } : {}),
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  },
  async redrive(executionArn) {
    await stepFunctions().send(new RedriveExecutionCommand({ executionArn }));
  },
  async start(stateMachineArn, name, input) {
    await stepFunctions().send(new StartExecutionCommand({ stateMachineArn, name, input }));
  },
};

/** What the ops API's commands run on (the function must declare the exceptions and audit tables and the workflows' executions). */
export function opsDependencies(c: Container): OpsDependencies {
  return {
    inbox: exceptionInbox(c),
    audit: auditTrail(c),
    now: c.clock,
    stateMachines: c.env.workflowStateMachines(),
    executions: executionControl,
    // Read on first use: a cold start that serves the inbox never parses the DLQs' directory.
    deadLetterQueues: new SqsDeadLetterQueues(
      sqs(),
      once(() => c.env.deadLetterQueueUrls()),
    ),
  };
}
