import { describe, expect, it } from 'vitest';
import { admitBillingRun } from '../../../lambdas/time-to-invoice/domain/billing-run-admission';

describe('admitBillingRun', () => {
  it('admits a start while fewer executions run than the limit', () => {
    expect(admitBillingRun({ running: 0, limit: 40, receiveCount: 1, random: 0.5 })).toEqual({ admit: true });
    expect(admitBillingRun({ running: 39, limit: 40, receiveCount: 7, random: 0.5 })).toEqual({ admit: true });
  });

  it.each([
    // receive count, random → wait: 15 s doubling per receive, at most 300 s, full jitter, at least 5 s
    [1, 0.999, 15],
    [2, 0.999, 30],
    [3, 0.5, 30],
    [6, 0.999, 300],
    [400, 0.999, 300],
    [1, 0, 5],
  ])('turns a start away at the limit; receive %i with jitter %d waits %i s', (receiveCount, random, wait) => {
    expect(admitBillingRun({ running: 40, limit: 40, receiveCount, random })).toEqual({ admit: false, retryAfterSeconds: wait });
  });

  it('never waits longer than five minutes nor less than five seconds, whatever the jitter', () => {
    for (let receive = 1; receive < 50; receive++) {
      for (const random of [0, 0.1, 0.5, 0.99]) {
        const admission = admitBillingRun({ running: 41, limit: 40, receiveCount: receive, random });
        expect(admission).toEqual({ admit: false, retryAfterSeconds: expect.any(Number) });
        const wait = (admission as { retryAfterSeconds: number }).retryAfterSeconds;
        expect(wait).toBeGreaterThanOrEqual(5);
        expect(wait).toBeLessThanOrEqual(300);
      }
    }
  });
});
