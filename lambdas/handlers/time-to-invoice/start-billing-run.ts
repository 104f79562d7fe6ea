import type { Logger } from '@aws-lambda-powertools/logger';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { sqs } from '../../common/clients/sqs';
import { stepFunctions } from '../../common/clients/step-functions';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { startExecutionOnce } from '../../common/start-execution';
import { admitBillingRun } from '../../time-to-invoice/billing-run-admission';
import { container } from '../../wiring/container';

const c = container('StartBillingRun');
const stateMachineArn = c.env.stateMachineArn('TimeToInvoice');
/** The region's `billingRuns.maxConcurrent`. */
const limit: number = (() => {
  const configured = c.config.regions.find((r) => r.region === c.env.region)?.billingRuns.maxConcurrent;
  if (configured === undefined) throw new Error(`Region ${c.env.region} is not in the deployment configuration`);
  return configured;
})();

const BillingRunStart = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  input: z.object({
    psa: z.object({ instance: z.string(), projectId: z.string() }),
    periodStart: z.string(),
    periodEnd: z.string(),
    correlationId: z.string(),
  }),
  /** How often this start was already turned away for want of room. */
  deferrals: z.int().min(0).default(0),
});

/**
 * Running billing executions as last counted, and counted up per start. ListExecutions has a small
 * quota (a bucket of 100, refilled at a few a second), so a count is reused for two seconds: the two
 * consumers then make about one call a second each, however many starts wait.
 */
let counted: { running: number; at: number } | undefined;
const COUNT_REUSE_MS = 2_000;

async function countRunning(limit: number): Promise<number> {
  // One page of at most `limit` running executions tells whether there is room; a second page means there is none.
  try {
    const page = await stepFunctions().send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: limit }));
    return (page.executions?.length ?? 0) + (page.nextToken ? 1 : 0);
  } catch (error) {
    // ListExecutions has a small quota; throttled, take the region as full and let the starts wait.
    if ((error as { name?: string }).name === 'ThrottlingException') return limit;
    throw error;
  }
}

async function start(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const message = BillingRunStart.parse(JSON.parse(record.body));
  const { name, input } = message;
  log.appendKeys({ correlationId: input.correlationId });
  if (counted === undefined || Date.now() - counted.at >= COUNT_REUSE_MS) counted = { running: await countRunning(limit), at: Date.now() };
  const admission = admitBillingRun({ running: counted.running, limit, deferrals: message.deferrals, random: Math.random() });
  if (!admission.admit) {
    // A new message with a delay rather than a redelivery: waiting is not failing, and must not count
    // towards the receives that send a broken message to the dead-letter queue.
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: c.env.queueUrl('BillingRunStarts'),
        MessageBody: JSON.stringify({ ...message, deferrals: message.deferrals + 1 }),
        DelaySeconds: admission.retryAfterSeconds,
      }),
    );
    metrics.addMetric('BillingRun-deferred', 'Count', 1);
    log.info('Billing run deferred: the region runs its maximum of billing executions', {
      execution: name,
      limit,
      retryAfterSeconds: admission.retryAfterSeconds,
      deferrals: message.deferrals + 1,
    });
    return;
  }
  // One execution per contract and period: a repeated start is a no-op.
  if (!(await startExecutionOnce(stateMachineArn, name, input))) {
    metrics.addMetric('BillingRun-duplicateStart', 'Count', 1);
    log.info('Billing run already exists; duplicate start ignored', { execution: name });
    return;
  }
  counted.running += 1;
  metrics.addMetric('BillingRun-started', 'Count', 1);
  log.info('Billing run started', { execution: name });
}

/**
 * Starts one time-to-invoice execution per message, under its deterministic name, while the region
 * runs fewer than its configured maximum; other starts go back on the queue with a delay. The limit is
 * soft: the queue's consumers running at once (at most two) may each admit a batch on the same count.
 */
// One record after another: each start counts against the starts before it in the batch.
export const handler = sqsConsumer(start, { inOrder: true });
