import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { ExecutionAlreadyExists, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { sqs } from '../shared/clients/sqs';
import { stepFunctions } from '../shared/clients/step-functions';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { admitBillingRun } from './domain/billing-run-admission';

const processor = new BatchProcessor(EventType.SQS);

const BillingRunStart = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  input: z.object({ psa: z.object({ instance: z.string(), projectId: z.string() }), periodStart: z.string(), periodEnd: z.string(), correlationId: z.string() }),
});

/** A start turned away because the region runs its maximum of billing executions; its message waits and comes back. */
export class BillingRunsAtCapacityError extends Error {
  override readonly name = 'BillingRunsAtCapacity';
}

/** Running billing executions, counted once per batch (ListExecutions is throttled far below StartExecution) and counted up per start. */
let runningInBatch: number | undefined;

async function countRunning(stateMachineArn: string, limit: number): Promise<number> {
  // One page of at most `limit` running executions tells whether there is room; a second page means there is none.
  const page = await stepFunctions().send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: limit }));
  return (page.executions?.length ?? 0) + (page.nextToken ? 1 : 0);
}

async function start(record: SQSRecord): Promise<void> {
  const { name, input } = BillingRunStart.parse(JSON.parse(record.body));
  logger.appendKeys({ correlationId: input.correlationId });
  const stateMachineArn = requiredEnvironment('TIME_TO_INVOICE_STATE_MACHINE_ARN');
  const limit = deploymentConfig().regions.find((r) => r.region === process.env.AWS_REGION)?.billingRuns.maxConcurrent ?? 40;
  runningInBatch ??= await countRunning(stateMachineArn, limit);
  const admission = admitBillingRun({
    running: runningInBatch,
    limit,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
    random: Math.random(),
  });
  if (!admission.admit) {
    // Back in the queue after a jittered pause rather than the queue's visibility timeout.
    await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: requiredEnvironment('BILLING_RUN_STARTS_QUEUE_URL'), ReceiptHandle: record.receiptHandle, VisibilityTimeout: admission.retryAfterSeconds }));
    metrics.addMetric('BillingRun-deferred', 'Count', 1);
    throw new BillingRunsAtCapacityError(`${limit} billing executions are running; ${name} starts in about ${admission.retryAfterSeconds} s`);
  }
  try {
    await stepFunctions().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    runningInBatch += 1;
    metrics.addMetric('BillingRun-started', 'Count', 1);
    logger.info('Billing run started', { execution: name });
  } catch (error) {
    // One execution per contract and period: a repeated start is a no-op.
    if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') {
      metrics.addMetric('BillingRun-duplicateStart', 'Count', 1);
      logger.info('Billing run already exists; duplicate start ignored', { execution: name });
      return;
    }
    throw error;
  }
}

/**
 * Starts one time-to-invoice execution per message, under its deterministic name, while the region
 * runs fewer than its configured maximum; other starts wait in the queue (a soft limit: consumers
 * running at once may overshoot it by a few).
 */
export const handler = async (event: SQSEvent, context: Context) => {
  runningInBatch = undefined;
  try {
    return await processPartialResponse(event, start, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
