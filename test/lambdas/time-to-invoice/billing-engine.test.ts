import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillingContract, BillingHistory, TimeEntryToBill } from '../../../lambdas/ports/billing-values';
import { afterPosting, draftInvoice } from '../../../lambdas/time-to-invoice/billing-engine';

const contract: BillingContract = {
  contractId: 'c-1',
  currency: 'USD',
  model: 'time-and-materials',
  rateCard: [
    { role: 'Principal', hourlyRate: '275.00', effectiveFrom: '2026-01-01' },
    { role: 'Consultant', hourlyRate: '165.50', effectiveFrom: '2026-01-01', effectiveTo: '2026-11-15' },
    { role: 'Consultant', hourlyRate: '172.00', effectiveFrom: '2026-11-16' },
  ],
  expenseMarkupPercent: '10',
  milestones: [],
};
const november = { start: '2026-11-01', end: '2026-11-30' };
const empty: BillingHistory = { billedIds: new Set(), timeBilledMinor: 0 };
const entry = (id: string, workDate: string, role: string, hours: string, billable = true): TimeEntryToBill => ({ id, workDate, role, hours, billable });

describe('draftInvoice rules', () => {
  it('bills time at the rate effective on the day worked, one rounded line per role and rate', () => {
    const draft = draftInvoice(
      contract,
      november,
      {
        time: [entry('t1', '2026-11-10', 'Consultant', '7.5'), entry('t2', '2026-11-20', 'Consultant', '8'), entry('t3', '2026-11-21', 'Principal', '2.25')],
        expenses: [],
      },
      empty,
    );

    expect(draft.lines.map((l) => [l.quantity, l.unitPrice, l.amount.amountMinor])).toEqual([
      ['7.5', '165.5', 124125],
      ['8', '172', 137600],
      ['2.25', '275', 61875],
    ]);
    expect(draft.total).toEqual({ amountMinor: 323600, currency: 'USD' });
  });

  it('counts non-billable time but never bills it', () => {
    const draft = draftInvoice(
      contract,
      november,
      { time: [entry('t1', '2026-11-10', 'Principal', '3', false), entry('t2', '2026-11-10', 'Principal', '1')], expenses: [] },
      empty,
    );

    expect(draft.nonBillable).toEqual({ entries: 1, hours: '3' });
    expect(draft.billedIds).toEqual(['t2']);
  });

  it('passes expenses through with the markup, and reports an expense in another currency instead of converting it', () => {
    const draft = draftInvoice(
      contract,
      november,
      {
        time: [],
        expenses: [
          { id: 'e1', incurredOn: '2026-11-03', category: 'Travel', amount: { amountMinor: 48215, currency: 'USD' }, billable: true },
          { id: 'e2', incurredOn: '2026-11-03', category: 'Hotel', amount: { amountMinor: 10000, currency: 'EUR' }, billable: true },
        ],
      },
      empty,
    );

    expect(draft.lines.map((l) => l.amount.amountMinor)).toEqual([53036]); // 482.15 × 1.10 = 530.365 → 530.36 (half to even)
    expect(draft.foreignCurrency).toEqual(['e2']);
  });

  it('writes down time over the not-to-exceed cap instead of billing it', () => {
    const capped = { ...contract, notToExceed: { amountMinor: 100000, currency: 'USD' as const } };

    const draft = draftInvoice(
      capped,
      november,
      { time: [entry('t1', '2026-11-10', 'Principal', '5')], expenses: [] },
      { billedIds: new Set(), timeBilledMinor: 40000 },
    );

    expect(draft.total.amountMinor).toBe(60000);
    expect(draft.writeDown.amountMinor).toBe(137500 - 60000);
  });

  it('reports work with no rate for its role on the day, and defers work dated after the period', () => {
    const draft = draftInvoice(
      contract,
      november,
      { time: [entry('t1', '2026-11-10', 'Architect', '1'), entry('t2', '2026-12-01', 'Principal', '1')], expenses: [] },
      empty,
    );

    expect(draft.unrated).toEqual(['t1']);
    expect(draft.deferred).toEqual(['t2']);
    expect(draft.lines).toEqual([]);
  });

  it('bills a completed fixed-fee milestone once, and a retainer once per period', () => {
    const fixed: BillingContract = {
      ...contract,
      model: 'retainer',
      retainerPerPeriod: { amountMinor: 500000, currency: 'USD' },
      milestones: [{ id: 'm1', name: 'Design signed off', amount: { amountMinor: 2500000, currency: 'USD' }, completedOn: '2026-11-14' }],
    };

    const first = draftInvoice(fixed, november, { time: [], expenses: [] }, empty);
    const again = draftInvoice(fixed, november, { time: [], expenses: [] }, afterPosting(empty, first));

    expect(first.lines.map((l) => [l.kind, l.amount.amountMinor])).toEqual([
      ['milestone', 2500000],
      ['retainer', 500000],
    ]);
    expect(again.lines).toEqual([]);
  });
});

// Property tests of the invariants (fast-check).
const roles = ['Principal', 'Consultant'] as const;
const anEntry = fc.record({
  id: fc.uuid(),
  workDate: fc.integer({ min: 1, max: 90 }).map((d) => new Date(Date.UTC(2026, 9, d)).toISOString().slice(0, 10)),
  role: fc.constantFrom(...roles),
  hours: fc.integer({ min: 1, max: 48 }).map((quarters) => (quarters / 4).toString()),
  billable: fc.boolean(),
});
const periods = [
  { start: '2026-10-01', end: '2026-10-31' },
  { start: '2026-11-01', end: '2026-11-30' },
  { start: '2026-12-01', end: '2026-12-31' },
];

describe('draftInvoice invariants', () => {
  it('makes every invoice total the sum of its lines', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 40 }), (time) => {
        const draft = draftInvoice(contract, november, { time, expenses: [] }, empty);
        expect(draft.total.amountMinor).toBe(draft.lines.reduce((s, l) => s + l.amount.amountMinor, 0));
      }),
    );
  });

  it('bills an entry at most once across any number of runs, and a re-run of a posted period bills nothing', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }), (time, runs) => {
        let history = empty;
        const seen = new Map<string, number>();
        for (const run of runs) {
          const draft = draftInvoice(contract, periods[run]!, { time, expenses: [] }, history);
          for (const id of draft.billedIds) seen.set(id, (seen.get(id) ?? 0) + 1);
          history = afterPosting(history, draft);
          expect(draftInvoice(contract, periods[run]!, { time, expenses: [] }, history).lines).toEqual([]);
        }
        expect([...seen.values()].every((count) => count === 1)).toBe(true);
      }),
    );
  });

  it('puts an entry approved after its period was invoiced on the next invoice', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 20 }), anEntry, (time, late) => {
        const lateEntry = { ...late, workDate: '2026-10-15', billable: true };
        const october = draftInvoice(contract, periods[0]!, { time, expenses: [] }, empty);
        const november = draftInvoice(contract, periods[1]!, { time: [...time, lateEntry], expenses: [] }, afterPosting(empty, october));
        expect(november.billedIds).toContain(lateEntry.id);
      }),
    );
  });

  it('never bills time beyond the not-to-exceed cap, over any sequence of periods', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 40 }), fc.integer({ min: 0, max: 2_000_000 }), (time, cap) => {
        const capped = { ...contract, notToExceed: { amountMinor: cap, currency: 'USD' as const } };
        let history = empty;
        for (const period of periods) history = afterPosting(history, draftInvoice(capped, period, { time, expenses: [] }, history));
        expect(history.timeBilledMinor).toBeLessThanOrEqual(cap);
      }),
    );
  });
});
