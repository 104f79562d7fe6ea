import Decimal from 'decimal.js';
import { type Money, majorUnits, type RateCardLine, toMinorUnits } from '../../canonical';
import type { BillingContract, BillingHistory, DraftLine, ExpenseToBill, InvoiceDraft, TimeEntryToBill } from '../ports/billing-values';

/**
 * The billing engine of time and expenses to invoice (docs/architecture.md): plain
 * TypeScript, no AWS, no vendor types. Given a contract, a billing period, the approved work and what
 * was billed before, it drafts one invoice. Hours and rates are decimals; each line is rounded once
 * with the product's one rounding rule (`toMinorUnits`); totals are sums of rounded lines.
 */

/** The rate card line for a role on a day (inclusive ranges), or undefined. */
export function rateFor(rateCard: readonly RateCardLine[], role: string, day: string): RateCardLine | undefined {
  return rateCard.find((l) => l.role === role && l.effectiveFrom <= day && (l.effectiveTo === undefined || day <= l.effectiveTo));
}

/**
 * Drafts the invoice of one contract and period. Work dated up to the period end and not yet billed
 * is billed, so an entry approved after its period was invoiced lands on the next invoice; work dated
 * later is deferred. The function is pure: the same inputs always give the same draft.
 */
export function draftInvoice(
  contract: BillingContract,
  period: { readonly start: string; readonly end: string },
  work: { readonly time: readonly TimeEntryToBill[]; readonly expenses: readonly ExpenseToBill[] },
  history: BillingHistory,
): InvoiceDraft {
  const money = (amountMinor: number): Money => ({ amountMinor, currency: contract.currency });
  const unbilled = <T extends { id: string }>(items: readonly T[]) => items.filter((i) => !history.billedIds.has(i.id));
  const lines: DraftLine[] = [];
  const deferred: string[] = [];
  const unrated: string[] = [];
  const foreignCurrency: string[] = [];
  let nonBillableHours = new Decimal(0);
  let nonBillableEntries = 0;

  // Time: grouped by role and rate, one rounding per line.
  const groups = new Map<string, { role: string; rate: string; hours: Decimal; ids: string[] }>();
  for (const entry of [...unbilled(work.time)].sort((a, b) => a.workDate.localeCompare(b.workDate) || a.id.localeCompare(b.id))) {
    // A day without hours (a weekly timecard's empty day, or one corrected to zero) bills nothing and
    // is on no invoice: no zero line, no rate needed, and corrected to hours later it is still billable.
    if (new Decimal(entry.hours).isZero()) continue;
    if (entry.workDate > period.end) {
      deferred.push(entry.id);
      continue;
    }
    if (!entry.billable) {
      nonBillableEntries += 1;
      nonBillableHours = nonBillableHours.plus(entry.hours);
      continue;
    }
    const rate = rateFor(contract.rateCard, entry.role, entry.workDate);
    if (rate === undefined) {
      unrated.push(entry.id);
      continue;
    }
    const key = `${entry.role}\u0000${new Decimal(rate.hourlyRate).toFixed()}`;
    const group = groups.get(key) ?? { role: entry.role, rate: new Decimal(rate.hourlyRate).toFixed(), hours: new Decimal(0), ids: [] };
    group.hours = group.hours.plus(entry.hours);
    group.ids.push(entry.id);
    groups.set(key, group);
  }
  // The cap: what time may still be billed over the life of the contract.
  let capLeft = contract.notToExceed ? Math.max(0, contract.notToExceed.amountMinor - history.timeBilledMinor) : Number.POSITIVE_INFINITY;
  let writeDown = 0;
  for (const group of groups.values()) {
    const full = toMinorUnits(group.hours.times(group.rate), contract.currency);
    const billed = Math.min(full, capLeft);
    capLeft -= billed;
    writeDown += full - billed;
    lines.push({
      kind: 'time',
      description: `${group.role}: ${group.hours.toFixed()} h at ${group.rate}${billed < full ? ' (capped at the not-to-exceed amount)' : ''}`,
      quantity: group.hours.toFixed(),
      unitPrice: group.rate,
      amount: money(billed),
      sourceIds: group.ids,
    });
  }

  // Expenses: passed through with the markup, each rounded once.
  const markup = new Decimal(1).plus(new Decimal(contract.expenseMarkupPercent).dividedBy(100));
  for (const expense of unbilled(work.expenses)) {
    if (expense.incurredOn > period.end) deferred.push(expense.id);
    else if (!expense.billable) continue;
    else if (expense.amount.currency !== contract.currency) foreignCurrency.push(expense.id);
    else {
      const amount = toMinorUnits(majorUnits(expense.amount).times(markup), contract.currency);
      lines.push({
        kind: 'expense',
        description: `${expense.category} (${expense.incurredOn}) with ${contract.expenseMarkupPercent}% markup`,
        amount: money(amount),
        sourceIds: [expense.id],
      });
    }
  }

  // Milestones: a completed, unbilled milestone is billed once, whatever the number of completions.
  for (const milestone of contract.milestones) {
    if (milestone.completedOn === undefined || milestone.completedOn > period.end || history.billedIds.has(milestone.id)) continue;
    lines.push({ kind: 'milestone', description: milestone.name, amount: milestone.amount, sourceIds: [milestone.id] });
  }

  // Retainer: one line per period, keyed by the period so a re-run cannot bill it twice.
  const retainerId = `${contract.contractId}:retainer:${period.start}`;
  if (contract.model === 'retainer' && contract.retainerPerPeriod && !history.billedIds.has(retainerId)) {
    lines.push({ kind: 'retainer', description: `Retainer ${period.start} to ${period.end}`, amount: contract.retainerPerPeriod, sourceIds: [retainerId] });
  }

  return {
    contractId: contract.contractId,
    periodStart: period.start,
    periodEnd: period.end,
    currency: contract.currency,
    lines,
    total: money(lines.reduce((sum, l) => sum + l.amount.amountMinor, 0)),
    writeDown: money(writeDown),
    nonBillable: { entries: nonBillableEntries, hours: nonBillableHours.toFixed() },
    unrated,
    foreignCurrency,
    deferred,
    billedIds: lines.flatMap((l) => l.sourceIds),
  };
}

/** The contract's milestones, each with its completion as the PSA reported it, if it did. */
export function withCompletedMilestones(terms: BillingContract, completed: ReadonlyMap<string, string>): BillingContract {
  return {
    ...terms,
    milestones: terms.milestones.map((m) => {
      const completedOn = completed.get(m.id);
      return completedOn ? { ...m, completedOn } : m;
    }),
  };
}

/** The history after an invoice was posted: its ids billed, its time counted against the cap. */
export function afterPosting(history: BillingHistory, draft: InvoiceDraft): BillingHistory {
  return {
    billedIds: new Set([...history.billedIds, ...draft.billedIds]),
    timeBilledMinor: history.timeBilledMinor + draft.lines.filter((l) => l.kind === 'time').reduce((sum, l) => sum + l.amount.amountMinor, 0),
  };
}
