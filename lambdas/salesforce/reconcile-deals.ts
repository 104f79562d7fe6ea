/**
 * Reconciliation of deals (docs/operations.md, reconciliation; its first slice): won opportunities in the CRM since a
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
  const nextCheckpoint = deals
    .map((d) => d.closedAt)
    .sort()
    .at(-1);
  return { checked: deals.length, missing, byLegalEntity, nextCheckpoint };
}

/** What a reconciliation run needs. */
export interface ReconciliationRunDependencies {
  /** Where the last run stopped; undefined before the first run. */
  readonly loadCheckpoint: () => Promise<Date | undefined>;
  readonly saveCheckpoint: (at: Date) => Promise<void>;
  /** Won deals modified at or after `since`. */
  readonly wonDealsSince: (since: Date) => Promise<WonDeal[]>;
  /** Whether the registry knows the deal (its project has a record in some system). */
  readonly known: (dealId: string) => Promise<boolean>;
  /** Re-reads the deal and publishes it as won, as a relayed change would have. */
  readonly republish: (dealId: string) => Promise<'published' | 'not-won'>;
  readonly now: () => Date;
}

/** How far the first run looks back: beyond Event Relay's 3-day replay window. */
export const FIRST_RUN_LOOKBACK_MS = 7 * 24 * 3600 * 1000;
/** Each run re-reads this much before the checkpoint, for clock skew and in-flight commits. */
export const CHECKPOINT_OVERLAP_MS = 3600 * 1000;

/**
 * One reconciliation run: won deals since the checkpoint (with overlap) compared with the registry;
 * each missing one is re-read and published again. The checkpoint advances only after every missing
 * deal was published, so a run that fails halfway is repeated, never skipped.
 */
export async function runReconciliation(
  deps: ReconciliationRunDependencies,
): Promise<ReconciliationReport & { readonly republished: number; readonly since: string }> {
  const checkpoint = await deps.loadCheckpoint();
  const since = new Date(checkpoint ? checkpoint.getTime() - CHECKPOINT_OVERLAP_MS : deps.now().getTime() - FIRST_RUN_LOOKBACK_MS);
  const report = await reconcileDeals(await deps.wonDealsSince(since), deps.known);
  let republished = 0;
  for (const deal of report.missing) if ((await deps.republish(deal.id)) === 'published') republished += 1;
  if (report.nextCheckpoint !== undefined) await deps.saveCheckpoint(new Date(report.nextCheckpoint));
  return { ...report, republished, since: since.toISOString() };
}
