import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { Context, SQSRecord } from 'aws-lambda';
import { logger, metrics } from './runtime';

/** The message attribute that counts how often a record was sent back while its duplicate was in progress. */
export const DEFERRALS_ATTRIBUTE = 'ps-deferrals';
/** Sent back at most this often; then the record fails as usual and waits out its visibility timeout. */
export const MAX_DEFERRALS = 5;

/** Sends a record back to its own queue as a new message, delayed, carrying its deferral count. */
export type DeferRecord = (record: SQSRecord, deferrals: number, delaySeconds: number) => Promise<void>;

/** The delay before a deferred record is seen again: a few seconds, growing, with jitter. */
export function deferralDelaySeconds(deferrals: number, random: number): number {
  const ceiling = Math.min(30, 2 * 2 ** deferrals);
  return Math.max(1, Math.round(ceiling / 2 + (random * ceiling) / 2));
}

/**
 * Wraps a record handler so that a record whose idempotency key is in progress (a concurrent duplicate
 * being handled right now) goes back to its queue as a new message delayed a few seconds, instead of
 * failing and waiting out the whole visibility timeout, where each wait would count a receive towards
 * the DLQ. A new message, not a changed visibility: waiting is not failing.
 */
export function deferringInProgress(
  handleRecord: (record: SQSRecord, context: Context) => Promise<void>,
  defer: DeferRecord,
  random: () => number = Math.random,
) {
  return async (record: SQSRecord, context: Context): Promise<void> => {
    try {
      await handleRecord(record, context);
    } catch (error) {
      const deferrals = Number(record.messageAttributes?.[DEFERRALS_ATTRIBUTE]?.stringValue ?? 0);
      if (!(error instanceof IdempotencyAlreadyInProgressError) || deferrals >= MAX_DEFERRALS) throw error;
      const delaySeconds = deferralDelaySeconds(deferrals, random());
      await defer(record, deferrals + 1, delaySeconds);
      metrics.addMetric('Record-deferredInProgress', 'Count', 1);
      logger.info('Duplicate in progress: record sent back to its queue', { messageId: record.messageId, deferrals: deferrals + 1, delaySeconds });
    }
  };
}
