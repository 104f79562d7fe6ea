import { CURRENCY_EXPONENTS, type CurrencyCode, decimal, type RateCardLine } from '../../canonical';
import { SyncError } from '../common/errors';

/**
 * How a contract's rate card becomes Kantata's rate card model. Kantata keys rates by date through
 * Rate Card Set Versions, each effective from its date until the next one, and holds a rate per role
 * as a whole number of the currency's minor units ("cents") per hour. Our lines each carry their own
 * `effectiveFrom`/`effectiveTo`, so the plan cuts a version at every date where any line starts or
 * stops, holding the lines in force that day. Pure: the adapter does the calls.
 */

/** One Kantata Rate Card Set Version: the rates in force from `effectiveDate` on. */
export interface RateCardVersionPlan {
  readonly effectiveDate: string;
  /** Role name to rate in minor units per hour. A role absent here falls back to Kantata's default rate. */
  readonly ratesInMinorUnits: ReadonlyMap<string, number>;
}

/** A rate card Kantata cannot hold as given: a person must correct the contract. */
export class RateCardNotRepresentableError extends SyncError {
  override readonly name = 'RateCardNotRepresentable';
}

/** Cuts the lines into Kantata versions, earliest first; refuses overlaps and sub-minor-unit rates. */
export function planKantataRateCard(lines: readonly RateCardLine[], currency: CurrencyCode): RateCardVersionPlan[] {
  const exponent = CURRENCY_EXPONENTS[currency];
  const minorUnits = (line: RateCardLine): number => {
    const scaled = decimal(line.hourlyRate).times(10 ** exponent);
    if (!scaled.isInteger())
      throw new RateCardNotRepresentableError(
        `${line.role} at ${line.hourlyRate} ${currency} an hour is finer than Kantata's ${currency} minor unit; round the contract rate`,
      );
    return scaled.toNumber();
  };
  for (const line of lines) {
    if (line.effectiveTo !== undefined && line.effectiveTo < line.effectiveFrom)
      throw new RateCardNotRepresentableError(`${line.role} rate ends (${line.effectiveTo}) before it starts (${line.effectiveFrom})`);
  }
  const boundaries = new Set<string>();
  for (const line of lines) {
    boundaries.add(line.effectiveFrom);
    if (line.effectiveTo !== undefined) boundaries.add(nextDay(line.effectiveTo));
  }
  const inForce = (line: RateCardLine, day: string) => line.effectiveFrom <= day && (line.effectiveTo === undefined || day <= line.effectiveTo);
  const plan: RateCardVersionPlan[] = [];
  for (const day of [...boundaries].sort()) {
    const rates = new Map<string, number>();
    for (const line of lines.filter((l) => inForce(l, day))) {
      if (rates.has(line.role)) throw new RateCardNotRepresentableError(`two ${line.role} rates are in force on ${day}; a role has one rate a day`);
      rates.set(line.role, minorUnits(line));
    }
    const previous = plan.at(-1);
    // A boundary where nothing changes (a line ending the day before its successor starts) is no new version.
    if (previous && sameRates(previous.ratesInMinorUnits, rates)) continue;
    plan.push({ effectiveDate: day, ratesInMinorUnits: rates });
  }
  return plan;
}

function sameRates(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([role, rate]) => b.get(role) === rate);
}

function nextDay(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
