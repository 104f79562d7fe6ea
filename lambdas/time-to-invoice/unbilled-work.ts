import type { BillingLedger, ContractRecord } from '../ports/billing-ledger';
import { draftInvoice, withCompletedMilestones } from './billing-engine';

/**
 * The approved work not yet on an invoice, valued as the next invoice would bill it (docs/operations.md,
 * "Money at risk"): the billing engine drafts each contract's work dated up to `today` that no invoice
 * holds yet (rates, markup and the not-to-exceed cap applied; unrated and foreign-currency work left
 * out, as billing leaves it out), and the time, expense and completed milestone lines are summed per
 * currency. A retainer bills a period, not work, so it is not counted.
 */
export async function approvedUnbilledValue(
  ledger: Pick<BillingLedger, 'workOf'>,
  contracts: readonly ContractRecord[],
  today: string,
): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const contract of contracts) {
    const work = await ledger.workOf(contract.psa);
    const terms = withCompletedMilestones(contract.terms, work.milestonesCompleted);
    const draft = draftInvoice(terms, { start: today, end: today }, work, work.history);
    const value = draft.lines.filter((l) => l.kind !== 'retainer').reduce((sum, l) => sum + l.amount.amountMinor, 0);
    totals[contract.terms.currency] = (totals[contract.terms.currency] ?? 0) + value;
  }
  return totals;
}
