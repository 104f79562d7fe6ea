import type { CurrencyCode, DecimalString, Money, RateCardLine } from '../../canonical';

/**
 * The values billing exchanges: what the ledger keeps and returns, what the PSA reports, and what the
 * billing engine takes and drafts. They live with the ports because adapters and workflows both speak
 * them; the rules that compute them live in the billing engine.
 */

/** The commercial terms billing applies. */
export interface BillingContract {
  readonly contractId: string;
  readonly currency: CurrencyCode;
  readonly model: 'time-and-materials' | 'fixed-fee' | 'retainer';
  readonly rateCard: readonly RateCardLine[];
  /** Time billed over the life of the contract never exceeds this; the overflow is written down. */
  readonly notToExceed?: Money;
  /** Markup on pass-through expenses, in percent. */
  readonly expenseMarkupPercent: DecimalString;
  /** Fixed-fee milestones; a completed one becomes billable once. */
  readonly milestones: readonly { readonly id: string; readonly name: string; readonly amount: Money; readonly completedOn?: string }[];
  /** A retainer bills this amount every period. */
  readonly retainerPerPeriod?: Money;
}

/** An approved time entry. */
export interface TimeEntryToBill {
  readonly id: string;
  readonly workDate: string;
  readonly role: string;
  readonly hours: DecimalString;
  readonly billable: boolean;
}

/** An approved expense. */
export interface ExpenseToBill {
  readonly id: string;
  readonly incurredOn: string;
  readonly category: string;
  readonly amount: Money;
  readonly billable: boolean;
}

/** What earlier invoices of the contract already billed. */
export interface BillingHistory {
  /** Ids of entries, expenses, milestones and retainer periods already on an invoice. */
  readonly billedIds: ReadonlySet<string>;
  /** Time billed so far under the not-to-exceed cap, in minor units. */
  readonly timeBilledMinor: number;
}

/** A line of the draft invoice. */
export interface DraftLine {
  readonly kind: 'time' | 'expense' | 'milestone' | 'retainer';
  readonly description: string;
  readonly quantity?: DecimalString;
  readonly unitPrice?: DecimalString;
  readonly amount: Money;
  readonly sourceIds: readonly string[];
}

/** The draft invoice of a contract and period, with everything that was left out and why. */
export interface InvoiceDraft {
  readonly contractId: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly currency: CurrencyCode;
  readonly lines: readonly DraftLine[];
  readonly total: Money;
  /** Time over the not-to-exceed cap: not invoiced, reported. */
  readonly writeDown: Money;
  /** Non-billable entries: counted, never invoiced. */
  readonly nonBillable: { readonly entries: number; readonly hours: DecimalString };
  /** Entries with no rate for their role on the day worked: an exception for a person. */
  readonly unrated: readonly string[];
  /** Expenses in another currency than the contract's: an exception, never converted silently. */
  readonly foreignCurrency: readonly string[];
  /** Work dated after the period: it belongs to a later invoice. */
  readonly deferred: readonly string[];
  /** Every id this invoice bills; adding them to the history is what makes a re-run bill nothing twice. */
  readonly billedIds: readonly string[];
}
