import { describe, expect, it } from 'vitest';
import { reconcileDeals } from '../../../../lambdas/salesforce/reconcile-deals';
import { mayCall, parseLimitInfo } from '../../../../lambdas/shared/salesforce-platform/api-allocation';

describe('Salesforce API allocation', () => {
  it('reads Sforce-Limit-Info and ignores a header not in the documented form', () => {
    expect(parseLimitInfo('api-usage=18/15000')).toEqual({ used: 18, limit: 15000 });
    expect(parseLimitInfo('per-app-api-usage=1/100(appName=x)')).toBeUndefined();
    expect(parseLimitInfo('api-usage=20/15000; per-app-api-usage=17/250(appName=ps-sync)')).toEqual({ used: 20, limit: 15000 });
    expect(parseLimitInfo(null)).toBeUndefined();
  });

  it('stops master-data flows at 80% and billing at 95% of the daily allocation, before REQUEST_LIMIT_EXCEEDED', () => {
    expect(mayCall({ used: 11_999, limit: 15_000 }, 'other')).toEqual({ proceed: true });
    expect(mayCall({ used: 12_000, limit: 15_000 }, 'other')).toMatchObject({ proceed: false, reason: expect.stringContaining('12000/15000 (80%)') });
    expect(mayCall({ used: 12_000, limit: 15_000 }, 'billing')).toEqual({ proceed: true });
    expect(mayCall({ used: 14_250, limit: 15_000 }, 'billing')).toMatchObject({ proceed: false });
  });
});

describe('reconcileDeals', () => {
  it('finds won deals the registry never saw, reports them by legal entity, and moves the checkpoint to the newest close', async () => {
    const registered = new Set(['006A', '006C']);

    const report = await reconcileDeals(
      [
        { id: '006A', legalEntityId: 'acme-us', closedAt: '2026-11-20T10:00:00Z' },
        { id: '006B', legalEntityId: 'acme-us', closedAt: '2026-11-21T10:00:00Z' },
        { id: '006C', legalEntityId: 'acme-de', closedAt: '2026-11-22T10:00:00Z' },
        { id: '006D', legalEntityId: undefined, closedAt: '2026-11-19T10:00:00Z' },
      ],
      async (id) => registered.has(id),
    );

    expect(report.missing.map((d) => d.id)).toEqual(['006B', '006D']);
    expect(report.byLegalEntity).toEqual({
      'acme-us': { checked: 2, missing: 1 },
      'acme-de': { checked: 1, missing: 0 },
      '(none)': { checked: 1, missing: 1 },
    });
    expect(report.nextCheckpoint).toBe('2026-11-22T10:00:00Z');
  });
});
