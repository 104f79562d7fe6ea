import Decimal from 'decimal.js';
import { z } from 'zod';

/**
 * The value types every entity and event is built from. Money is integer minor units plus an ISO
 * currency; rates, hours and quantities are decimal strings handled with decimal.js. No binary float
 * ever carries an amount.
 */

/** A global integration id: a UUID we assign, the same in every system's cross-reference. */
export const GlobalId = z.uuid();
/** A global integration id. */
export type GlobalId = z.infer<typeof GlobalId>;

/** A calendar date, `YYYY-MM-DD`. */
export const IsoDate = z.iso.date();
/** An instant with its offset, ISO 8601. */
export const IsoTimestamp = z.iso.datetime({ offset: true });

/**
 * Minor-unit exponents of the currencies we bill in (ISO 4217). A currency outside this table is
 * refused rather than guessed, because a wrong exponent bills a hundred times too much.
 */
export const CURRENCY_EXPONENTS = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SGD: 2,
  INR: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  JPY: 0,
  BHD: 3,
  KWD: 3,
} as const;

/** An ISO 4217 currency code we support. */
export const CurrencyCode = z.enum(Object.keys(CURRENCY_EXPONENTS) as [keyof typeof CURRENCY_EXPONENTS, ...(keyof typeof CURRENCY_EXPONENTS)[]]);
/** An ISO 4217 currency code we support. */
export type CurrencyCode = z.infer<typeof CurrencyCode>;

/** An amount of money: integer minor units (cents, pence, yen) and the currency. */
export const Money = z.strictObject({
  amountMinor: z.int().refine(Number.isSafeInteger, 'amountMinor must be a safe integer'),
  currency: CurrencyCode,
});
/** An amount of money in minor units. */
export type Money = z.infer<typeof Money>;

/** A decimal number as a string (`"150.00"`, `"7.5"`, `"-0.25"`): rates, hours, quantities, percentages. */
export const DecimalString = z.string().regex(/^-?(0|[1-9]\d{0,17})(\.\d{1,12})?$/, 'a decimal number written as a string, such as "150.00"');
/** A decimal number as a string. */
export type DecimalString = z.infer<typeof DecimalString>;

/** A non-negative decimal string. */
export const NonNegativeDecimal = DecimalString.refine((v) => !v.startsWith('-'), 'must not be negative');

/** Parses a decimal string exactly. */
export function decimal(value: DecimalString): Decimal {
  return new Decimal(value);
}

/**
 * The one rounding rule of the whole product: a decimal amount becomes minor units rounding half to
 * even (banker's rounding), so rounding many invoice lines does not drift upward the way half-up does.
 * Applied once per line; totals are sums of already rounded lines.
 */
export function toMinorUnits(amount: Decimal, currency: CurrencyCode): number {
  const minor = amount.times(new Decimal(10).pow(CURRENCY_EXPONENTS[currency])).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN);
  if (minor.abs().greaterThan(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${amount.toString()} ${currency} exceeds the largest amount we can carry`);
  return minor.toNumber();
}

/** Money from a decimal amount, rounded by {@link toMinorUnits}. */
export function money(amount: Decimal | DecimalString, currency: CurrencyCode): Money {
  return { amountMinor: toMinorUnits(typeof amount === 'string' ? decimal(amount) : amount, currency), currency };
}

/** A decimal amount from money, exact. */
export function majorUnits(value: Money): Decimal {
  return new Decimal(value.amountMinor).dividedBy(new Decimal(10).pow(CURRENCY_EXPONENTS[value.currency]));
}

/** Money as a person reads it, with the currency's own minor digits: `USD 125,000.00`, `JPY 5,000`. */
export function formatMoney(value: Money): string {
  const [whole, fraction] = majorUnits(value).toFixed(CURRENCY_EXPONENTS[value.currency]).split('.');
  return `${value.currency} ${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A postal address. Compound, as CRMs deliver it (`BillingAddress.Street`). */
export const Address = z.strictObject({
  street: z.string().min(1).optional(),
  city: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  postalCode: z.string().min(1).optional(),
  /** ISO 3166-1 alpha-2. */
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code'),
});
/** A postal address. */
export type Address = z.infer<typeof Address>;

/** Lifecycle of every entity: merged records point at their survivor. */
export const LifecycleStatus = z.enum(['active', 'inactive', 'merged']);
/** Lifecycle status. */
export type LifecycleStatus = z.infer<typeof LifecycleStatus>;
