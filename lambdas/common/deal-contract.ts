import Decimal from 'decimal.js';
import { CurrencyCode, DecimalString, type Money, money, type OpportunityWonEvent } from '../../canonical';

type Contract = OpportunityWonEvent['payload']['contract'];

/**
 * How a CRM deal carries its contract, whatever the CRM: a few deal fields, and line items typed as
 * `rate` (name = role, price = hourly rate), `milestone` (price × quantity), `task` or `retainer`
 * (price = the amount billed each period). Each CRM mapping reads its own field names into these
 * shapes, as text; this turns them into the canonical contract without judging it: validation in the
 * workflow decides whether it suffices, and says why not.
 */

/** A contract line item, its values as text. */
export interface DealLine {
  readonly type?: string;
  readonly name?: string;
  readonly price?: string;
  readonly quantity?: string;
  readonly effectiveFrom?: string;
  readonly effectiveTo?: string;
  readonly dueDate?: string;
  readonly billable?: string;
  readonly estimatedHours?: string;
}

/** The deal's contract fields, as text. */
export interface DealTerms {
  readonly currency?: string;
  readonly billingModel?: string;
  readonly paymentTerms?: string;
  readonly notToExceed?: string;
  readonly expenseMarkup?: string;
  readonly start?: string;
  readonly end?: string;
}

/** `YYYY-MM-DD` from a date or date-time, or undefined. */
export function isoDate(value: string | undefined): string | undefined {
  return value && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}

/** The value if it is a plain decimal, or undefined. */
export function decimalOf(value: string | undefined): string | undefined {
  return value !== undefined && DecimalString.safeParse(value).success ? value : undefined;
}

/** price × quantity in a currency, or undefined when either is not a number or the currency is unknown. */
export function amountOf(price: string | undefined, currency: string | undefined, quantity = '1'): Money | undefined {
  const parsed = CurrencyCode.safeParse(currency);
  const value = decimalOf(price);
  if (!parsed.success || value === undefined) return undefined;
  return money(new Decimal(value).times(decimalOf(quantity) ?? '1'), parsed.data);
}

/** The canonical contract of a deal's terms and lines. */
export function dealContract(terms: DealTerms, lines: readonly DealLine[]): Contract {
  const ofType = (type: string) => lines.filter((l) => l.type === type);
  const start = isoDate(terms.start);
  const end = isoDate(terms.end);
  const notToExceed = amountOf(terms.notToExceed, terms.currency);
  const markup = decimalOf(terms.expenseMarkup);
  const model = terms.billingModel;
  const retainer = ofType('retainer')[0];
  const retainerPerPeriod = retainer ? amountOf(retainer.price, terms.currency) : undefined;
  return {
    billingTerms: {
      ...(model === 'time-and-materials' || model === 'fixed-fee' || model === 'retainer' ? { model } : {}),
      ...(terms.paymentTerms ? { paymentTermsCode: terms.paymentTerms } : {}),
      ...(notToExceed ? { notToExceed } : {}),
      ...(markup ? { expenseMarkupPercent: markup } : {}),
      ...(retainerPerPeriod ? { retainerPerPeriod } : {}),
    },
    ...(start ? { startDate: start } : {}),
    ...(end ? { endDate: end } : {}),
    rateCard: ofType('rate').flatMap((l) => {
      const rate = decimalOf(l.price);
      const from = isoDate(l.effectiveFrom) ?? start;
      const to = isoDate(l.effectiveTo);
      return rate && from && l.name ? [{ role: l.name, hourlyRate: rate, effectiveFrom: from, ...(to ? { effectiveTo: to } : {}) }] : [];
    }),
    milestones: ofType('milestone').flatMap((l) => {
      const value = amountOf(l.price, terms.currency, l.quantity);
      const due = isoDate(l.dueDate);
      return value && l.name ? [{ name: l.name, amount: value, ...(due ? { dueDate: due } : {}) }] : [];
    }),
    tasks: ofType('task').flatMap((l) => {
      const hours = decimalOf(l.estimatedHours);
      return l.name ? [{ name: l.name, billable: l.billable !== 'false', ...(hours ? { estimatedHours: hours } : {}) }] : [];
    }),
  };
}
