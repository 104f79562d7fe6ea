/**
 * Salesforce's daily API allocation (docs/vendors/salesforce.md): every REST response carries
 * `Sforce-Limit-Info: api-usage=<used>/<limit>`. The adapter reads it on each call and slows down
 * before the allocation runs out, instead of failing at REQUEST_LIMIT_EXCEEDED. Billing keeps a
 * reserve that master-data syncs may not use.
 */

/** The allocation as the last response reported it. */
export interface ApiAllocation {
  readonly used: number;
  readonly limit: number;
}

/** Parses `Sforce-Limit-Info`; undefined when the header is absent or not in the documented form. */
export function parseLimitInfo(header: string | null | undefined): ApiAllocation | undefined {
  // The header may also carry per-app-api-usage=...; only the org-wide api-usage counts here.
  const match = /(?:^|[;,\s])api-usage=(\d+)\/(\d+)/.exec(header ?? '');
  if (!match) return undefined;
  const used = Number(match[1]);
  const limit = Number(match[2]);
  return limit > 0 ? { used, limit } : undefined;
}

/** What to do before the next call. */
export type AllocationDecision = { readonly proceed: true } | { readonly proceed: false; readonly reason: string };

/**
 * Whether a call may go ahead. Master-data flows stop at `masterDataShare` of the allocation, billing
 * at `billingShare`, so the last part of the day's calls stays for invoices and for people using
 * Salesforce itself.
 */
export function mayCall(
  allocation: ApiAllocation | undefined,
  flow: 'billing' | 'other',
  shares: { masterDataShare: number; billingShare: number } = { masterDataShare: 0.8, billingShare: 0.95 },
): AllocationDecision {
  if (allocation === undefined) return { proceed: true };
  const share = flow === 'billing' ? shares.billingShare : shares.masterDataShare;
  const ratio = allocation.used / allocation.limit;
  return ratio < share
    ? { proceed: true }
    : {
        proceed: false,
        reason: `Salesforce API usage is ${allocation.used}/${allocation.limit} (${Math.round(ratio * 100)}%), at or above the ${Math.round(share * 100)}% kept for ${flow === 'billing' ? 'billing' : 'master-data'} flows`,
      };
}
