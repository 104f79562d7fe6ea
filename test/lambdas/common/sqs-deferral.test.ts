import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { VendorThrottledError } from '../../../lambdas/common/errors';
import { DEFERRALS_ATTRIBUTE, deferralDelaySeconds, deferringWhenBusy, MAX_DEFERRALS } from '../../../lambdas/common/sqs-deferral';

const context = {} as Context;
const log = new Logger({ logLevel: 'SILENT' });
const record = (deferrals?: number): SQSRecord =>
  ({
    messageId: 'm-1',
    body: '{"dedupKey":"k"}',
    messageAttributes: deferrals === undefined ? {} : { [DEFERRALS_ATTRIBUTE]: { stringValue: String(deferrals), dataType: 'Number' } },
  }) as unknown as SQSRecord;

describe('a record whose duplicate is in progress', () => {
  it('goes back to its queue as a new message delayed a few seconds, and counts as handled', async () => {
    // Prepare
    const sent: [string, number, number][] = [];
    const handle = deferringWhenBusy(
      async () => {
        throw new IdempotencyAlreadyInProgressError('in progress');
      },
      async (r, deferrals, delay) => void sent.push([r.body, deferrals, delay]),
      () => 0.5,
    );

    // Act
    await handle(record(), context, log);
    await handle(record(2), context, log);

    // Assess
    expect(sent).toEqual([
      ['{"dedupKey":"k"}', 1, 2],
      ['{"dedupKey":"k"}', 3, 6],
    ]);
  });

  it(`fails as usual after ${MAX_DEFERRALS} deferrals, and on any other error at once`, async () => {
    const sent: number[] = [];
    const inProgress = deferringWhenBusy(
      async () => {
        throw new IdempotencyAlreadyInProgressError('in progress');
      },
      async (_r, deferrals) => void sent.push(deferrals),
    );
    const failing = deferringWhenBusy(
      async () => {
        throw new Error('vendor down');
      },
      async (_r, deferrals) => void sent.push(deferrals),
    );

    await expect(inProgress(record(MAX_DEFERRALS), context, log)).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    await expect(failing(record(), context, log)).rejects.toThrow('vendor down');
    expect(sent).toEqual([]);
  });

  it('waits between 1 and 30 seconds, growing with each deferral', () => {
    for (let n = 0; n < 8; n++) {
      for (const r of [0, 0.5, 0.999]) {
        const delay = deferralDelaySeconds(n, r);
        expect(delay).toBeGreaterThanOrEqual(1);
        expect(delay).toBeLessThanOrEqual(30);
      }
    }
    expect(deferralDelaySeconds(3, 0.999)).toBeGreaterThan(deferralDelaySeconds(0, 0.999));
  });
});

describe('a record whose vendor throttled its reads', () => {
  it('goes back to its queue delayed at least by the Retry-After, at most 15 minutes, and fails after the deferrals are spent', async () => {
    const sent: [number, number][] = [];
    const throttledFor = (retryAfterSeconds?: number) =>
      deferringWhenBusy(
        async () => {
          throw new VendorThrottledError({ vendor: 'hubspot', instance: 'hubspot-main', operation: 'read deal' }, retryAfterSeconds);
        },
        async (_r, deferrals, delay) => void sent.push([deferrals, delay]),
        () => 0.5,
      );

    await throttledFor(10)(record(), context, log);
    await throttledFor()(record(1), context, log);
    await throttledFor(3600)(record(2), context, log);
    await expect(throttledFor(10)(record(MAX_DEFERRALS), context, log)).rejects.toMatchObject({ name: 'VendorThrottled' });

    expect(sent).toEqual([
      [1, 10],
      [2, 3],
      [3, 900],
    ]);
  });
});
