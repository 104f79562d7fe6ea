import { describe, expect, it } from 'vitest';
import { admitBillingRun } from '../../../lambdas/time-to-invoice/billing-run-admission';

describe('admitBillingRun', () => {
  it('admits a start while fewer executions run than the limit', () => {
    expect(admitBillingRun({ running: 0, limit: 40, deferrals: 0, random: 0.5 })).toEqual({ admit: true });
    expect(admitBillingRun({ running: 39, limit: 40, deferrals: 6, random: 0.5 })).toEqual({ admit: true });
  });

  it.each([
    // earlier deferrals, random → wait: 5 s doubling per deferral, at most 30 s, full jitter, at least 2 s
    [0, 0.999, 5],
    [1, 0.999, 10],
    [2, 0.5, 10],
    [3, 0.999, 30],
    [400, 0.999, 30],
    [0, 0, 2],
  ])('turns a start away at the limit; after %i deferrals with jitter %d it waits %i s', (deferrals, random, wait) => {
    expect(admitBillingRun({ running: 40, limit: 40, deferrals, random })).toEqual({ admit: false, retryAfterSeconds: wait });
  });

  it('never waits longer than 30 seconds nor less than two seconds, whatever the jitter', () => {
    for (let receive = 1; receive < 50; receive++) {
      for (const random of [0, 0.1, 0.5, 0.99]) {
        const admission = admitBillingRun({ running: 41, limit: 40, deferrals: receive, random });
        expect(admission).toEqual({ admit: false, retryAfterSeconds: expect.any(Number) });
        const wait = (admission as { retryAfterSeconds: number }).retryAfterSeconds;
        expect(wait).toBeGreaterThanOrEqual(2);
        expect(wait).toBeLessThanOrEqual(30);
      }
    }
  });
});
