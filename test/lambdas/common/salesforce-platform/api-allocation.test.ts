import { describe, expect, it } from 'vitest';
import { mayCall, parseLimitInfo } from '../../../../lambdas/common/salesforce-platform/api-allocation';

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
