/**
 * Reconciliation of deals (PRODUCT.md workflow 7, first slice): won opportunities in the CRM since a
 * checkpoint, compared with the cross-reference registry, find the deals whose event never arrived
 * (relay gaps, GAP_OVERFLOW, a relay outage). Each is then started like any other, idempotently:
 * the deterministic execution name makes a deal that did arrive meanwhile a no-op.
 */

/** A won deal as the CRM query returns it. */
export interface WonDeal {
  readonly id: string;
  readonly legalEntityId: string | undefined;
  readonly closedAt: string;
}

/** What reconciliation found, by legal entity. */
export interface ReconciliationReport {
  readonly checked: number;
  readonly missing: readonly WonDeal[];
  readonly byLegalEntity: Readonly<Record<string, { readonly checked: number; readonly missing: number }>>;
  /** The newest close seen: the next run starts there (with overlap, by the caller). */
  readonly nextCheckpoint: string | undefined;
}

/** Compares won deals with the registry; `known` says whether a deal's opportunity is registered. */
export async function reconcileDeals(deals: readonly WonDeal[], known: (dealId: string) => Promise<boolean>): Promise<ReconciliationReport> {
  const missing: WonDeal[] = [];
  const byLegalEntity: Record<string, { checked: number; missing: number }> = {};
  for (const deal of deals) {
    const entity = deal.legalEntityId ?? '(none)';
    const tally = (byLegalEntity[entity] ??= { checked: 0, missing: 0 });
    tally.checked += 1;
    if (!(await known(deal.id))) {
      missing.push(deal);
      tally.missing += 1;
    }
  }
  const nextCheckpoint = deals.map((d) => d.closedAt).sort().at(-1);
  return { checked: deals.length, missing, byLegalEntity, nextCheckpoint };
}
