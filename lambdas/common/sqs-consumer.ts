import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, logInvocationEvent, publishMetrics } from './runtime';

/**
 * What handles one record: the record, the Lambda context, and the record's own logger. Everything
 * logged while handling the record goes through `log`, never the module's `logger`: records of a batch
 * run at once, and keys appended to a shared logger would land on the other records' lines.
 */
export type RecordHandler = (record: SQSRecord, context: Context, log: Logger) => Promise<void>;

/**
 * The handler every queue consumer exports: each record goes to `handleRecord` with a logger of its
 * own, a failed record is logged once and reported back alone (partial batch response) to be
 * redelivered and then dead-lettered, and the invocation's metrics are flushed. `idempotency` is the
 * config of the consumer's makeIdempotent functions, which need the Lambda context; `inOrder` handles
 * records one after another. A consumer whose duplicates may be in progress wraps its handler in
 * `deferringWhenBusy` (sqs-deferral.ts). The batch is logged first when the function's environment asks
 * for it (`POWERTOOLS_LOGGER_LOG_EVENT`, {@link logInvocationEvent}).
 */
export function sqsConsumer(handleRecord: RecordHandler, options: { idempotency?: IdempotencyConfig; inOrder?: boolean } = {}) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleLogged = async (record: SQSRecord, context: Context) => {
    const log = recordLogger(record);
    try {
      await handleRecord(record, context, log);
    } catch (error) {
      logFailedRecord(log, record, error);
      throw error;
    }
  };
  return async (event: SQSEvent, context: Context) => {
    // The whole batch, record bodies masked, when POWERTOOLS_LOGGER_LOG_EVENT is true (runtime.ts).
    logInvocationEvent(event);
    options.idempotency?.registerLambdaContext(context);
    try {
      return await processPartialResponse(event, handleLogged, processor, { context, ...(options.inOrder ? { processInParallel: false } : {}) });
    } finally {
      publishMetrics();
    }
  };
}

/**
 * A child of the module's logger for one record (Powertools 2.35 has no per-record keys in batch
 * processing): its lines carry the record's message id, and the correlation id its body carries until
 * the handler appends the one it derives.
 */
function recordLogger(record: SQSRecord): Logger {
  const log = logger.createChild();
  log.appendKeys({ messageId: record.messageId, correlationId: correlationIdOf(record) ?? 'none' });
  return log;
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
 * One error line per failed record: why, which attempt, and what happens next. It goes through the
 * record's logger, so it carries the record's message id and the correlation id its handling used.
 */
function logFailedRecord(log: Logger, record: SQSRecord, error: unknown): void {
  log.error('Record failed', {
    reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    attempt: Number(record.attributes?.ApproximateReceiveCount ?? 1),
    next: "redelivered after the queue's visibility timeout; after the queue's maxReceiveCount receives it moves to the queue's DLQ",
  });
}
