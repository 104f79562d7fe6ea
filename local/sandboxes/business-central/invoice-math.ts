import Decimal from 'decimal.js';

/**
 * The sandbox's tax rule, standing in for a BC company's tax setup: a flat 8 % sales tax on every
 * item line. The document's tax is 8 % of its total excluding tax, rounded half away from zero to the
 * cent; each line carries its share by running total, so the lines always add up to the document.
 */
export const SALES_TAX_PERCENT = 8;

/** A line's amount: quantity × unit price, rounded half away from zero to the cent (BC's amount rounding precision 0.01). */
export function lineAmount(quantity: number, unitPrice: number): Decimal {
  return new Decimal(quantity).times(unitPrice).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** Each line's tax: the tax on the running total so far, less the tax already given to earlier lines. */
export function taxByRunningTotal(amounts: readonly Decimal[], percent: number): Decimal[] {
  let running = new Decimal(0);
  let given = new Decimal(0);
  return amounts.map((amount) => {
    running = running.plus(amount);
    const due = running.times(percent).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const tax = due.minus(given);
    given = due;
    return tax;
  });
}

/** A payment amount as the back office takes it: a positive decimal string with at most two decimals. */
export function parseAmount(amount: string): Decimal | undefined {
  const trimmed = amount.trim();
  return /^\d+(\.\d{1,2})?$/.test(trimmed) && new Decimal(trimmed).greaterThan(0) ? new Decimal(trimmed) : undefined;
}
