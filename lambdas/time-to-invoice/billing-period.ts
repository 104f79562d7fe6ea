import type { PsaProjectRef } from '../ports/psa';

/** A calendar-month billing period. */
export interface BillingPeriod {
  /** `yyyy-mm` */
  readonly month: string;
  readonly start: string;
  readonly end: string;
}

/** The month named, or the month before `now` (the month-end run bills the month just ended), in UTC. */
export function billingPeriod(month: string | undefined, now: Date): BillingPeriod {
  const [year, mon] = month
    ? month.split('-').map(Number)
    : (() => {
        const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
        return [d.getUTCFullYear(), d.getUTCMonth() + 1];
      })();
  const start = new Date(Date.UTC(year!, mon! - 1, 1));
  const end = new Date(Date.UTC(year!, mon!, 0));
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return { month: iso(start).slice(0, 7), start: iso(start), end: iso(end) };
}

/**
 * The execution name of a contract's billing run: deterministic, so a repeated start is refused by
 * Step Functions itself; a new revision runs the period again. Within Step Functions' 80 characters.
 */
export function billingRunName(psa: PsaProjectRef, month: string, revision: number): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${clean(psa.instance)}-${clean(psa.projectId)}-${month}-r${revision}`.slice(0, 80);
}
