import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { type ExecutionStatusChange, failedExecutionException } from '../../ops/failed-executions';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { executionInput, recordedWorkflows } from '../../wiring/failed-executions';

const c = container('RecordFailedExecution');
const exceptions = exceptionRecorder(c);
const workflows = recordedWorkflows(c);

async function recordFailedExecution(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const change = (JSON.parse(record.body) as { detail: ExecutionStatusChange }).detail;
  const exception = await failedExecutionException(change, workflows, () => executionInput(change.executionArn));
  if (exception === undefined) {
    metrics.addMetric('FailedExecution-not-ours', 'Count', 1);
    return;
  }
  log.appendKeys({ correlationId: exception.correlationId });
  const { firstSeen } = await exceptions.record(exception, c.clock());
  metrics.addMetric('FailedExecution-recorded', 'Count', 1);
  // The one line that says why this execution stopped; the exception holds the rest.
  log.error('Execution failed at a task; recorded to retry from the inbox', {
    execution: change.name,
    status: change.status,
    reason: exception.reason,
    workflow: exception.workflow,
    entityId: exception.entityId,
    firstSeen,
  });
}

/** Records executions of this stack's state machines that failed at a task, timed out or were aborted. */
export const handler = sqsConsumer(recordFailedExecution);
