import { describe, expect, it } from 'vitest';
import {
  compareBilling,
  compareParallelRun,
  type ErpInvoiceRecord,
  type LedgerPostedInvoice,
  type PsaInvoiceRecord,
  summarize,
} from '../../../lambdas/reconciliation/compare';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' as const });
const tolerance = { amountMinor: 1, days: 0 };

function invoice(n: number, totalMinor: number) {
  const externalId = `contract-${n}:2026-11-01`;
  const ledger: LedgerPostedInvoice = {
    externalId,
    erpInstance: 'netsuite-us',
    erpId: `${100 + n}`,
    invoiceNumber: `INV00${n}`,
    total: usd(totalMinor),
    postingDate: '2026-11-30',
  };
  const erp: ErpInvoiceRecord = {
    instance: 'netsuite-us',
    id: `${100 + n}`,
    externalId,
    invoiceNumber: `INV00${n}`,
    total: usd(totalMinor),
    date: '2026-11-30',
  };
  const psa: PsaInvoiceRecord = {
    instance: 'kantata-global',
    id: `${900 + n}`,
    externalId,
    invoiceNumber: `INV00${n}`,
    total: usd(totalMinor),
    date: '2026-11-30',
  };
  return { ledger, erp, psa };
}

describe('compareBilling', () => {
  it('finds nothing when ledger, ERP, PSA and registry agree', () => {
    const a = invoice(1, 324725);
    const findings = compareBilling({
      ledger: [a.ledger],
      erp: [a.erp],
      psa: [a.psa],
      references: [{ externalId: a.erp.externalId, role: 'erp', vendor: 'netsuite', instance: 'netsuite-us', nativeId: '101' }],
      tolerance,
    });
    expect(findings).toEqual([]);
  });

  it('reports a month with one invoice missing in the PSA, one amount off beyond the tolerance and one orphan registry entry: exactly those three', () => {
    const a = invoice(1, 100000);
    const b = invoice(2, 200000);
    const c = invoice(3, 300000);
    const findings = compareBilling({
      ledger: [a.ledger, b.ledger, c.ledger],
      erp: [a.erp, { ...b.erp, total: usd(200150) }, c.erp],
      psa: [b.psa, c.psa],
      references: [
        { externalId: c.erp.externalId, role: 'erp', vendor: 'netsuite', instance: 'netsuite-us', nativeId: '103' },
        { externalId: c.erp.externalId, role: 'psa', vendor: 'kantata', instance: 'kantata-global', nativeId: '999999' },
      ],
      tolerance,
    });
    expect(findings.map((f) => [f.kind, f.entityId, f.moneyAtStake, f.repairable])).toEqual([
      ['missing-in-psa', 'missing-in-psa:contract-1:2026-11-01', usd(100000), true],
      ['amount-mismatch', 'amount-mismatch:contract-2:2026-11-01', usd(150), false],
      ['orphan-reference', 'orphan-reference:contract-3:2026-11-01:kantata:kantata-global', usd(300000), false],
    ]);
    expect(summarize(findings)).toMatchObject({
      'missing-in-psa': { count: 1, moneyAtStake: { USD: 100000 } },
      'amount-mismatch': { count: 1, moneyAtStake: { USD: 150 } },
      'orphan-reference': { count: 1, moneyAtStake: { USD: 300000 } },
      'missing-in-erp': { count: 0 },
    });
  });

  it('keeps a difference within the tolerance', () => {
    const a = invoice(1, 100000);
    expect(compareBilling({ ledger: [a.ledger], erp: [{ ...a.erp, total: usd(100001) }], psa: [a.psa], references: [], tolerance })).toEqual([]);
    expect(compareBilling({ ledger: [a.ledger], erp: [{ ...a.erp, total: usd(100002) }], psa: [a.psa], references: [], tolerance })).toHaveLength(1);
  });

  it('reports a posted invoice the ERP lacks, and one the ERP has that the ledger does not know as not repairable', () => {
    const a = invoice(1, 100000);
    const b = invoice(2, 5000);
    const findings = compareBilling({ ledger: [a.ledger], erp: [b.erp], psa: [a.psa], references: [], tolerance });
    expect(findings.map((f) => [f.kind, f.moneyAtStake.amountMinor, f.repairable])).toEqual([
      ['missing-in-erp', 100000, false],
      ['missing-in-psa', 5000, false],
    ]);
  });

  it('reports a date beyond the tolerance in days', () => {
    const a = invoice(1, 100000);
    const input = { ledger: [a.ledger], erp: [{ ...a.erp, date: '2026-11-28' }], psa: [a.psa], references: [] };
    expect(compareBilling({ ...input, tolerance }).map((f) => f.kind)).toEqual(['date-mismatch']);
    expect(compareBilling({ ...input, tolerance: { amountMinor: 1, days: 2 } })).toEqual([]);
  });

  it('ignores a pending registry link (no native id yet)', () => {
    const a = invoice(1, 100000);
    expect(
      compareBilling({
        ledger: [a.ledger],
        erp: [a.erp],
        psa: [a.psa],
        references: [{ externalId: a.erp.externalId, role: 'psa', vendor: 'kantata', instance: 'kantata-global' }],
        tolerance,
      }),
    ).toEqual([]);
  });
});

describe('compareParallelRun', () => {
  const parallelOf = (e: ErpInvoiceRecord, changes: Partial<ErpInvoiceRecord> = {}): ErpInvoiceRecord => ({
    ...e,
    instance: 'business-central-us',
    id: `bc-${e.id}`,
    invoiceNumber: `PS-${e.invoiceNumber}`,
    ...changes,
  });

  it('finds nothing when the parallel-run ERP holds the same invoices (its own ids and numbers), within the tolerance', () => {
    const a = invoice(1, 100000);
    const b = invoice(2, 200000);
    expect(compareParallelRun([a.erp, b.erp], [parallelOf(a.erp), parallelOf(b.erp, { total: usd(200001) })], tolerance)).toEqual([]);
  });

  it('reports what one side lacks and what differs, each with its money at stake, none repairable', () => {
    const a = invoice(1, 100000);
    const b = invoice(2, 200000);
    const c = invoice(3, 300000);
    const d = invoice(4, 400000);
    const findings = compareParallelRun(
      [a.erp, b.erp, c.erp],
      [parallelOf(b.erp, { total: usd(199000) }), parallelOf(c.erp, { date: '2026-12-01' }), parallelOf(d.erp)],
      tolerance,
    );
    expect(findings.map((f) => [f.kind, f.externalId, f.moneyAtStake.amountMinor, f.erp?.id, f.parallelErp?.id, f.repairable])).toEqual([
      ['missing-in-parallel-erp', a.erp.externalId, 100000, '101', undefined, false],
      ['parallel-amount-mismatch', b.erp.externalId, 1000, '102', 'bc-102', false],
      ['parallel-date-mismatch', c.erp.externalId, 300000, '103', 'bc-103', false],
      ['only-in-parallel-erp', d.erp.externalId, 400000, undefined, 'bc-104', false],
    ]);
    expect(findings.map((f) => f.entityId)).toContain(`parallel-amount-mismatch:${b.erp.externalId}`);
    expect(summarize(findings)['parallel-amount-mismatch']).toEqual({ count: 1, moneyAtStake: { USD: 1000 } });
  });

  it('reports a different currency as an amount mismatch of the whole primary total', () => {
    const a = invoice(1, 100000);
    const [finding] = compareParallelRun([a.erp], [parallelOf(a.erp, { total: { amountMinor: 100000, currency: 'CAD' } })], tolerance);
    expect(finding).toMatchObject({ kind: 'parallel-amount-mismatch', moneyAtStake: usd(100000) });
  });
});
