import type { Money } from '../../canonical';

/**
 * Reconciliation of PSA billing against ERP postings (docs/operations.md, "Reconciliation"): for one
 * legal entity and month, the billing ledger's posted invoices, the ERP's invoices of the month that
 * carry our external ids, the PSA's invoices of the month and the cross-reference registry's links of
 * those invoices are compared record by record, by the invoice's external id (`<contract>:<period start>`).
 * Plain data in, findings out: no AWS SDK, no vendor calls.
 */

/** How far apart two records may be before they are reported. */
export interface ReconciliationTolerance {
  /** A total may differ by this many minor units. */
  readonly amountMinor: number;
  /** A date may differ by this many days. */
  readonly days: number;
}

/** An invoice the billing ledger holds as posted. */
export interface LedgerPostedInvoice {
  readonly externalId: string;
  readonly erpInstance: string;
  readonly erpId: string;
  readonly invoiceNumber: string;
  readonly total: Money;
  /** `yyyy-mm-dd`. */
  readonly postingDate: string;
}

/** An ERP invoice of the period carrying one of our external ids. */
export interface ErpInvoiceRecord {
  readonly instance: string;
  readonly id: string;
  readonly externalId: string;
  readonly invoiceNumber: string;
  readonly total: Money;
  /** `yyyy-mm-dd`. */
  readonly date: string;
}

/** A PSA invoice of the period carrying one of our external references. */
export interface PsaInvoiceRecord {
  readonly instance: string;
  readonly id: string;
  readonly externalId: string;
  readonly invoiceNumber?: string;
  readonly total?: Money;
  /** `yyyy-mm-dd`. */
  readonly date?: string;
}

/** A cross-reference registry link of one of the period's invoices to a system record. */
export interface InvoiceReference {
  readonly externalId: string;
  readonly role: 'erp' | 'psa';
  readonly vendor: string;
  readonly instance: string;
  /** Absent while the create is pending: nothing to point at yet. */
  readonly nativeId?: string;
}

export const FINDING_KINDS = [
  'missing-in-psa',
  'missing-in-erp',
  'amount-mismatch',
  'date-mismatch',
  'orphan-reference',
  'missing-in-parallel-erp',
  'only-in-parallel-erp',
  'parallel-amount-mismatch',
  'parallel-date-mismatch',
  'parallel-erp-unreadable',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** One difference between the systems, with what it puts at stake. */
export interface Finding {
  readonly kind: FindingKind;
  /** Stable per finding (kind and records), so a re-run refreshes its exception rather than adding one. */
  readonly entityId: string;
  readonly externalId: string;
  readonly moneyAtStake: Money;
  /** Words for the inbox: ids and amounts only, never personal data. */
  readonly detail: string;
  readonly erp?: { readonly instance: string; readonly id: string };
  readonly psa?: { readonly instance: string; readonly id: string };
  /** The parallel-run ERP's invoice, on a parallel-run finding. */
  readonly parallelErp?: { readonly instance: string; readonly id: string };
  /** Whether the reconciliation can put it right itself (a posted invoice the ledger can record in the PSA). */
  readonly repairable: boolean;
}

/** What is compared: plain lists of one legal entity and period. */
export interface ReconciliationInput {
  readonly ledger: readonly LedgerPostedInvoice[];
  readonly erp: readonly ErpInvoiceRecord[];
  readonly psa: readonly PsaInvoiceRecord[];
  readonly references: readonly InvoiceReference[];
  readonly tolerance: ReconciliationTolerance;
}

const DAY_MS = 86_400_000;

function daysApart(a: string, b: string): number {
  return Math.abs(Date.parse(`${a.slice(0, 10)}T00:00:00Z`) - Date.parse(`${b.slice(0, 10)}T00:00:00Z`)) / DAY_MS;
}

function byExternalId<T extends { externalId: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.externalId, i]));
}

function format(m: Money): string {
  return `${m.amountMinor} ${m.currency} (minor units)`;
}

/**
 * The findings of one legal entity and period, in a stable order (by external id, then kind):
 * - `missing-in-psa`: an ERP invoice the PSA has not recorded (repairable when the ledger holds it as posted);
 * - `missing-in-erp`: a ledger or PSA invoice with no ERP invoice of that external id;
 * - `amount-mismatch`: the ERP's total differs from the ledger's (or, without one, the PSA's) beyond the tolerance;
 * - `date-mismatch`: the ERP's date differs from the ledger's posting date (or the PSA's) beyond the tolerance;
 * - `orphan-reference`: a registry link of an invoice to an ERP or PSA record that is not there.
 */
export function compareBilling(input: ReconciliationInput): Finding[] {
  const { tolerance } = input;
  const ledger = byExternalId(input.ledger);
  const erp = byExternalId(input.erp);
  const psa = byExternalId(input.psa);
  const findings: Finding[] = [];
  const keys = [...new Set([...ledger.keys(), ...erp.keys(), ...psa.keys()])].sort();
  for (const key of keys) {
    const l = ledger.get(key);
    const e = erp.get(key);
    const p = psa.get(key);
    const erpRef = e ? { erp: { instance: e.instance, id: e.id } } : {};
    const psaRef = p ? { psa: { instance: p.instance, id: p.id } } : {};
    if (e && !p)
      findings.push({
        kind: 'missing-in-psa',
        entityId: `missing-in-psa:${key}`,
        externalId: key,
        moneyAtStake: e.total,
        detail: `ERP invoice ${e.invoiceNumber} (${e.instance} ${e.id}) of ${format(e.total)} is not recorded in the PSA`,
        ...erpRef,
        repairable: l !== undefined,
      });
    if (!e) {
      const total = l?.total ?? p?.total;
      findings.push({
        kind: 'missing-in-erp',
        entityId: `missing-in-erp:${key}`,
        externalId: key,
        moneyAtStake: total ?? { amountMinor: 0, currency: 'USD' },
        detail: `${l ? `the ledger holds invoice ${l.invoiceNumber} as posted to ${l.erpInstance} ${l.erpId}` : 'the PSA holds the invoice'} but the ERP has no invoice ${key}`,
        ...psaRef,
        repairable: false,
      });
      continue;
    }
    const expected = l?.total ?? p?.total;
    const against = l ? 'ledger' : 'PSA';
    if (expected !== undefined) {
      const difference = expected.currency === e.total.currency ? Math.abs(expected.amountMinor - e.total.amountMinor) : undefined;
      if (difference === undefined || difference > tolerance.amountMinor)
        findings.push({
          kind: 'amount-mismatch',
          entityId: `amount-mismatch:${key}`,
          externalId: key,
          moneyAtStake: difference === undefined ? e.total : { amountMinor: difference, currency: e.total.currency },
          detail: `ERP invoice ${e.invoiceNumber} totals ${format(e.total)}, the ${against} ${format(expected)} (tolerance ${tolerance.amountMinor})`,
          ...erpRef,
          ...psaRef,
          repairable: false,
        });
    }
    const expectedDate = l?.postingDate ?? p?.date;
    if (expectedDate !== undefined && daysApart(expectedDate, e.date) > tolerance.days)
      findings.push({
        kind: 'date-mismatch',
        entityId: `date-mismatch:${key}`,
        externalId: key,
        moneyAtStake: e.total,
        detail: `ERP invoice ${e.invoiceNumber} is dated ${e.date}, the ${l ? 'ledger' : 'PSA'} ${expectedDate} (tolerance ${tolerance.days} days)`,
        ...erpRef,
        ...psaRef,
        repairable: false,
      });
  }
  const erpIds = new Set(input.erp.map((e) => `${e.instance}#${e.id}`));
  const psaIds = new Set(input.psa.map((p) => `${p.instance}#${p.id}`));
  for (const r of [...input.references].sort((a, b) => `${a.externalId}#${a.instance}`.localeCompare(`${b.externalId}#${b.instance}`))) {
    if (r.nativeId === undefined) continue;
    const known = (r.role === 'erp' ? erpIds : psaIds).has(`${r.instance}#${r.nativeId}`);
    if (known) continue;
    const total = ledger.get(r.externalId)?.total ?? erp.get(r.externalId)?.total ?? psa.get(r.externalId)?.total;
    findings.push({
      kind: 'orphan-reference',
      entityId: `orphan-reference:${r.externalId}:${r.vendor}:${r.instance}`,
      externalId: r.externalId,
      moneyAtStake: total ?? { amountMinor: 0, currency: 'USD' },
      detail: `the registry links invoice ${r.externalId} to ${r.vendor} ${r.instance} record ${r.nativeId}, which the ${r.role.toUpperCase()} does not hold`,
      ...(r.role === 'erp' ? { erp: { instance: r.instance, id: r.nativeId } } : { psa: { instance: r.instance, id: r.nativeId } }),
      repairable: false,
    });
  }
  return findings;
}

/**
 * The parallel run of a migration wave (docs/operations.md#parallel-run): the primary ERP's invoices of
 * the period against the parallel-run ERP's, by our external reference (both lists hold the invoices whose
 * external id bills the period, whatever their dates), in a stable order:
 * - `missing-in-parallel-erp`: an invoice the primary ERP holds and the parallel one does not;
 * - `only-in-parallel-erp`: an invoice of ours the parallel ERP holds and the primary does not;
 * - `parallel-amount-mismatch` and `parallel-date-mismatch`: the two differ beyond the tolerance.
 * None is repairable: what the parallel ERP holds is the migration's to load.
 */
export function compareParallelRun(primary: readonly ErpInvoiceRecord[], parallel: readonly ErpInvoiceRecord[], tolerance: ReconciliationTolerance): Finding[] {
  const byPrimary = byExternalId(primary);
  const byParallel = byExternalId(parallel);
  const findings: Finding[] = [];
  for (const key of [...new Set([...byPrimary.keys(), ...byParallel.keys()])].sort()) {
    const p = byPrimary.get(key);
    const q = byParallel.get(key);
    const refs = { ...(p ? { erp: { instance: p.instance, id: p.id } } : {}), ...(q ? { parallelErp: { instance: q.instance, id: q.id } } : {}) };
    const finding = (kind: FindingKind, moneyAtStake: Money, detail: string): Finding => ({
      kind,
      entityId: `${kind}:${key}`,
      externalId: key,
      moneyAtStake,
      detail,
      ...refs,
      repairable: false,
    });
    if (p && !q) {
      findings.push(
        finding(
          'missing-in-parallel-erp',
          p.total,
          `ERP invoice ${p.invoiceNumber} (${p.instance} ${p.id}) of ${format(p.total)} has no invoice ${key} in the parallel-run ERP`,
        ),
      );
      continue;
    }
    if (q && !p) {
      findings.push(
        finding(
          'only-in-parallel-erp',
          q.total,
          `the parallel-run ERP holds invoice ${q.invoiceNumber} (${q.instance} ${q.id}) of ${format(q.total)}, the primary ERP has no invoice ${key}`,
        ),
      );
      continue;
    }
    if (!p || !q) continue;
    const difference = p.total.currency === q.total.currency ? Math.abs(p.total.amountMinor - q.total.amountMinor) : undefined;
    if (difference === undefined || difference > tolerance.amountMinor)
      findings.push(
        finding(
          'parallel-amount-mismatch',
          difference === undefined ? p.total : { amountMinor: difference, currency: p.total.currency },
          `ERP invoice ${p.invoiceNumber} totals ${format(p.total)}, the parallel-run ERP's ${q.invoiceNumber} ${format(q.total)} (tolerance ${tolerance.amountMinor})`,
        ),
      );
    if (daysApart(p.date, q.date) > tolerance.days)
      findings.push(
        finding(
          'parallel-date-mismatch',
          p.total,
          `ERP invoice ${p.invoiceNumber} is dated ${p.date}, the parallel-run ERP's ${q.invoiceNumber} ${q.date} (tolerance ${tolerance.days} days)`,
        ),
      );
  }
  return findings;
}

/** Counts and money at stake per kind (amounts per currency), for the report and its log line. */
export function summarize(findings: readonly Finding[]): Record<FindingKind, { count: number; moneyAtStake: Record<string, number> }> {
  const summary = Object.fromEntries(FINDING_KINDS.map((k) => [k, { count: 0, moneyAtStake: {} as Record<string, number> }])) as Record<
    FindingKind,
    { count: number; moneyAtStake: Record<string, number> }
  >;
  for (const f of findings) {
    const s = summary[f.kind];
    s.count += 1;
    s.moneyAtStake[f.moneyAtStake.currency] = (s.moneyAtStake[f.moneyAtStake.currency] ?? 0) + f.moneyAtStake.amountMinor;
  }
  return summary;
}
