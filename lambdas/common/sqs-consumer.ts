import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { metrics } from './runtime';

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
  return async (event: SQSEvent, context: Context) => {
    options.idempotency?.registerLambdaContext(context);
    try {
      return await processPartialResponse(event, handleRecord, processor, { context, ...(options.inOrder ? { processInParallel: false } : {}) });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
