import Decimal from 'decimal.js';
import { DecimalString } from '../../canonical';
import { UnreadableCertiniaRecordError } from './unreadable-certinia-record';

/**
 * Certinia timecards are weekly headers (`pse__Timecard_Header__c`) with one hours field per day
 * (docs/vendors/certinia.md). Billing works on days, because rates are effective-dated: a week that spans a rate
 * change must bill each day at its own rate. This explodes a header into daily entries.
 *
 * Every day of the week is an entry, a day without hours as `0`: the billing ledger keeps one item
 * per entry id and replaces it with a newer version, so a day corrected from 8 hours to none must
 * arrive as 0 hours, or the 8 would stay and be billed. The billing engine bills a 0-hour day as nothing.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** The fields of a timecard header this needs, as Salesforce delivers them. */
export type TimecardHeader = {
  readonly Id: string;
  /** The week's first day, `YYYY-MM-DD`; Certinia weeks start on the org's configured day. */
  readonly pse__Start_Date__c: string;
} & { readonly [Day in (typeof DAYS)[number] as `pse__${Day}_Hours__c`]?: number | string | null };

/** One day of a timecard. */
export interface DailyEntry {
  /** Stable per header and day, so a re-delivered header yields the same ids. */
  readonly id: string;
  readonly workDate: string;
  readonly hours: string;
}

/**
 * The seven days of a header, in date order, a day with no hours (null, empty or zero) as `0`.
 * Salesforce may send hours as numbers: they are read through their decimal text, and a value that
 * is not a plain decimal is refused loudly as an unreadable record.
 */
export function explodeTimecard(header: TimecardHeader): DailyEntry[] {
  const start = new Date(`${header.pse__Start_Date__c}T00:00:00Z`);
  if (Number.isNaN(start.getTime())) throw new UnreadableCertiniaRecordError(`Timecard ${header.Id} has no valid pse__Start_Date__c`);
  const entries: DailyEntry[] = [];
  for (let offset = 0; offset < 7; offset++) {
    const day = new Date(start.getTime() + offset * 86_400_000);
    const raw = header[`pse__${DAYS[day.getUTCDay()]!}_Hours__c`];
    const text = raw === null || raw === undefined || raw === '' ? '0' : typeof raw === 'number' ? new Decimal(raw).toFixed() : raw;
    if (!DecimalString.safeParse(text).success)
      throw new UnreadableCertiniaRecordError(
        `Timecard ${header.Id} has hours ${JSON.stringify(raw)} on ${DAYS[day.getUTCDay()]!}, which is not a decimal number`,
      );
    const hours = new Decimal(text);
    const workDate = day.toISOString().slice(0, 10);
    // `-0` would be written "-0", which is no non-negative decimal.
    entries.push({ id: `${header.Id}:${workDate}`, workDate, hours: hours.isZero() ? '0' : hours.toFixed() });
  }
  return entries;
}
