import { describe, expect, it } from 'vitest';
import { billingPeriod, billingRunName } from '../../../lambdas/time-to-invoice/billing-period';

describe('billing periods', () => {
  it('bills the month just ended by default, across a year end, and a named month as given', () => {
    expect(billingPeriod(undefined, new Date('2026-12-01T06:00:00Z'))).toEqual({ month: '2026-11', start: '2026-11-01', end: '2026-11-30' });
    expect(billingPeriod(undefined, new Date('2027-01-01T06:00:00Z'))).toEqual({ month: '2026-12', start: '2026-12-01', end: '2026-12-31' });
    expect(billingPeriod('2028-02', new Date())).toEqual({ month: '2028-02', start: '2028-02-01', end: '2028-02-29' });
  });

  it('names one execution per contract, period and revision, within Step Functions’ rules', () => {
    expect(billingRunName({ instance: 'kantata-global', projectId: '39004' }, '2026-11', 1)).toBe('kantata-global-39004-2026-11-r1');
    const long = billingRunName({ instance: 'x'.repeat(60), projectId: 'a/b c' }, '2026-11', 12);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
