import { describe, expect, it } from 'vitest';
import type { BillingLedger, ContractRecord } from '../../../lambdas/ports/billing-ledger';
import type { ExpenseToBill, TimeEntryToBill } from '../../../lambdas/ports/billing-values';
import { approvedUnbilledValue } from '../../../lambdas/time-to-invoice/unbilled-work';
import { contractFixture } from '../../support/contract-fixture';

type Work = Awaited<ReturnType<BillingLedger['workOf']>>;
const time = (id: string, workDate: string, hours: string, billable = true): TimeEntryToBill => ({ id, workDate, role: 'Consultant', hours, billable });
const expense = (id: string, incurredOn: string, amountMinor: number, currency: 'USD' | 'EUR' = 'USD'): ExpenseToBill => ({
  id,
  incurredOn,
  category: 'Travel',
  amount: { amountMinor, currency },
  billable: true,
});

/** The ledger's work of each project, as `workOf` returns it. */
function ledgerOf(work: Record<string, Partial<Work>>): Pick<BillingLedger, 'workOf'> {
  return {
    workOf: async (psa) => ({
      time: [],
      expenses: [],
      milestonesCompleted: new Map(),
      history: { billedIds: new Set(), timeBilledMinor: 0 },
      ...work[psa.projectId],
    }),
  };
}

describe('approvedUnbilledValue', () => {
  it('values approved work no invoice holds, dated up to today, as billing would bill it, per currency', async () => {
    const usd = contractFixture({ instance: 'kantata-global', projectId: 'w1' });
    const eur: ContractRecord = {
      ...contractFixture({ instance: 'kantata-global', projectId: 'w2' }, { hourlyRate: '100' }),
      terms: {
        ...contractFixture({ instance: 'kantata-global', projectId: 'w2' }).terms,
        currency: 'EUR',
        rateCard: [{ role: 'Consultant', hourlyRate: '100', effectiveFrom: '2026-01-01' }],
        expenseMarkupPercent: '10',
        milestones: [{ id: 'm1', name: 'Kickoff', amount: { amountMinor: 50000, currency: 'EUR' } }],
        model: 'retainer',
        retainerPerPeriod: { amountMinor: 999999, currency: 'EUR' },
      },
    };
    const ledger = ledgerOf({
      // 2 h unbilled at 150; 1 h already on an invoice; 3 h dated after today; a non-billable hour.
      w1: {
        time: [time('t1', '2026-11-10', '2'), time('t2', '2026-11-11', '1'), time('t3', '2026-12-05', '3'), time('t4', '2026-11-12', '1', false)],
        history: { billedIds: new Set(['t2']), timeBilledMinor: 15000 },
      },
      // 1.5 h at 100, an expense of 200.00 with 10% markup, the completed milestone; never the retainer.
      w2: {
        time: [time('e1', '2026-11-20', '1.5')],
        expenses: [expense('x1', '2026-11-21', 20000, 'EUR')],
        milestonesCompleted: new Map([['m1', '2026-11-25']]),
      },
    });
    expect(await approvedUnbilledValue(ledger, [usd, eur], '2026-12-02')).toEqual({ USD: 30000, EUR: 15000 + 22000 + 50000 });
  });

  it('is zero for a contract whose work is all billed, and empty with no contracts', async () => {
    const usd = contractFixture({ instance: 'kantata-global', projectId: 'w1' });
    const ledger = ledgerOf({ w1: { time: [time('t1', '2026-11-10', '2')], history: { billedIds: new Set(['t1']), timeBilledMinor: 30000 } } });
    expect(await approvedUnbilledValue(ledger, [usd], '2026-12-02')).toEqual({ USD: 0 });
    expect(await approvedUnbilledValue(ledger, [], '2026-12-02')).toEqual({});
  });
});
