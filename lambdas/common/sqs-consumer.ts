import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, publishMetrics } from './runtime';

/**
 * The handler every queue consumer exports: each record goes to `handleRecord`, a failed record is
 * reported back alone (partial batch response) to be redelivered and then dead-lettered, and the
 * invocation's metrics are flushed. `idempotency` is the config of the consumer's makeIdempotent
 * functions, which need the Lambda context; `inOrder` handles records one after another. A consumer
 * whose duplicates may be in progress wraps its handler in `deferringWhenBusy` (sqs-deferral.ts).
 */
export function sqsConsumer(
  handleRecord: (record: SQSRecord, context: Context) => Promise<void>,
  options: { idempotency?: IdempotencyConfig; inOrder?: boolean } = {},
) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleLogged = async (record: SQSRecord, context: Context) => {
    try {
      await handleRecord(record, context);
    } catch (error) {
      logFailedRecord(record, error);
      throw error;
    }
  };
  return async (event: SQSEvent, context: Context) => {
    options.idempotency?.registerLambdaContext(context);
    try {
      return await processPartialResponse(event, handleLogged, processor, { context, ...(options.inOrder ? { processInParallel: false } : {}) });
    } finally {
      publishMetrics();
    }
  };
}

/** The correlation id a record's body carries (our queued messages and canonical events do), if any. */
function correlationIdOf(record: SQSRecord): string | undefined {
  try {
    const body = JSON.parse(record.body) as { correlationId?: unknown; detail?: { correlationId?: unknown } };
    const id = body.correlationId ?? body.detail?.correlationId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One error line per failed record: why, which attempt, and what happens next. The record's own
 * correlation id is on the line itself, not left to keys another record of the batch may have set.
 */
function logFailedRecord(record: SQSRecord, error: unknown): void {
  const attempt = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  logger.error('Record failed', {
    messageId: record.messageId,
    correlationId: correlationIdOf(record) ?? 'none',
    reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    attempt,
    next: "redelivered after the queue's visibility timeout; after the queue's maxReceiveCount receives it moves to the queue's DLQ",
  });
}
