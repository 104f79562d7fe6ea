import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { SQSRecord } from 'aws-lambda';
import { VendorThrottledError } from './errors';
import { metrics } from './runtime';
import type { RecordHandler } from './sqs-consumer';

/** The message attribute that counts how often a record was sent back (its duplicate in progress, its vendor throttling). */
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

/** SQS delays a message by at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

/**
 * Wraps a record handler so that a record that finds the way busy goes back to its queue as a new
 * message delayed a few seconds, instead of failing and waiting out the whole visibility timeout, where
 * each wait would count a receive towards the DLQ. Busy is a concurrent duplicate whose idempotency key
 * is in progress, or a vendor that throttled the record's reads (delayed at least by its Retry-After).
 * A new message, not a changed visibility: waiting is not failing.
 */
export function deferringWhenBusy(handleRecord: RecordHandler, defer: DeferRecord, random: () => number = Math.random): RecordHandler {
  return async (record, context, log) => {
    try {
      await handleRecord(record, context, log);
    } catch (error) {
      const deferrals = Number(record.messageAttributes?.[DEFERRALS_ATTRIBUTE]?.stringValue ?? 0);
      const throttled = error instanceof VendorThrottledError;
      if (!(error instanceof IdempotencyAlreadyInProgressError || throttled) || deferrals >= MAX_DEFERRALS) throw error;
      const delaySeconds = Math.min(
        MAX_DELAY_SECONDS,
        Math.max(deferralDelaySeconds(deferrals, random()), Math.ceil((throttled && error.retryAfterSeconds) || 0)),
      );
      await defer(record, deferrals + 1, delaySeconds);
      metrics.addMetric(throttled ? 'Record-deferredThrottled' : 'Record-deferredInProgress', 'Count', 1);
      log.info(throttled ? 'Vendor throttled: record sent back to its queue' : 'Duplicate in progress: record sent back to its queue', {
        deferrals: deferrals + 1,
        delaySeconds,
      });
    }
  };
}
