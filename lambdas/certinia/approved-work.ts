import Decimal from 'decimal.js';
import { z } from 'zod';
import { type CanonicalEvent, type CertiniaSettings, CurrencyCode, DecimalString, IsoDate, money, parseCanonicalEvent, type SystemRef } from '../../canonical';
import { approvedWorkEvent, milestoneCompletedEvent } from '../ports/approved-work-events';
import { explodeTimecard, type TimecardHeader } from './timecards';
import { UnreadableCertiniaRecordError } from './unreadable-certinia-record';

/**
 * What a Certinia record, re-read after its change arrived, means for billing: an approved weekly
 * timecard is one `time.approved` per day of its week, an approved expense is `expense.approved`, a
 * milestone in a completed status is `milestone.completed`. Approval is read from `pse__Status__c`
 * against the org's own picklist values (CertiniaSettings). Pure: no AWS, no HTTP.
 *
 * Every event's version is the record's `LastModifiedDate` as an ISO instant: a record re-read and
 * re-published unchanged makes the same event ids and the same ledger version, so it collapses; a
 * later change (hours corrected and approved again) is a newer version that replaces the older one.
 */

/** The Certinia objects whose changes become approved work, by kind. */
export const CERTINIA_OBJECTS = {
  timecard: 'pse__Timecard_Header__c',
  expense: 'pse__Expense__c',
  milestone: 'pse__Milestone__c',
} as const;
/** A kind of Certinia record this intake judges. */
export type CertiniaObjectKind = keyof typeof CERTINIA_OBJECTS;

const DAY_FIELDS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].map((d) => `pse__${d}_Hours__c`);

/**
 * The fields each object is read with, and whose change can alter what it bills (an update that
 * touches none of them, such as Certinia's own roll-ups, is not re-read).
 */
export const CERTINIA_FIELDS = {
  timecard: [
    'pse__Project__c',
    'pse__Resource__c',
    'pse__Assignment__c',
    'pse__Start_Date__c',
    'pse__End_Date__c',
    'pse__Status__c',
    'pse__Billable__c',
    ...DAY_FIELDS,
  ],
  expense: [
    'pse__Project__c',
    'pse__Resource__c',
    'pse__Expense_Date__c',
    'pse__Type__c',
    'pse__Amount__c',
    'CurrencyIsoCode',
    'pse__Billable__c',
    'pse__Status__c',
  ],
  milestone: ['pse__Project__c', 'pse__Status__c', 'pse__Actual_Date__c'],
} as const satisfies Record<CertiniaObjectKind, readonly string[]>;

/**
 * The role that prices a timecard's hours: the assignment's `pse__Role__c` (the role the resource
 * works in on this project, which Certinia's rate cards are keyed by), else the resource's default
 * `pse__Resource_Role__c` for time logged without an assignment. Read in the same query, through the
 * parent relationships.
 */
export const TIMECARD_ROLE_FIELDS = ['pse__Assignment__r.pse__Role__c', 'pse__Resource__r.pse__Resource_Role__c'] as const;

/** A record as re-read: its fields by API name, parents as nested records (or null). */
export type CertiniaRecord = Readonly<Record<string, unknown>> & { readonly Id: string };

/** What a record means for billing: the events to publish (none, with why, when it bills nothing). */
export interface ApprovedWorkDecision {
  readonly events: readonly CanonicalEvent[];
  readonly reason: string;
}

// In its own file so that timecards.ts, which this imports, throws it too without an import cycle.
export { UnreadableCertiniaRecordError };

const Reference = z.string().min(1);
const Modified = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'a Salesforce datetime');
// Day hours stay as read: explodeTimecard reads each through its decimal text and refuses a non-number.
const TimecardRecord = z.object({
  Id: Reference,
  pse__Project__c: Reference,
  pse__Resource__c: Reference,
  pse__Start_Date__c: IsoDate,
  pse__Status__c: z.string().nullable(),
  pse__Billable__c: z.boolean(),
  LastModifiedDate: Modified,
  pse__Assignment__r: z.object({ pse__Role__c: z.string().nullable().optional() }).nullable().optional(),
  pse__Resource__r: z.object({ pse__Resource_Role__c: z.string().nullable().optional() }).nullable().optional(),
});
const ExpenseRecord = z.object({
  Id: Reference,
  pse__Project__c: Reference,
  pse__Resource__c: Reference,
  pse__Expense_Date__c: IsoDate,
  pse__Type__c: z.string().min(1),
  // A currency field: a number, or its text; never rounded here beyond the currency's minor units.
  pse__Amount__c: z.union([z.number(), DecimalString]),
  CurrencyIsoCode: CurrencyCode,
  pse__Billable__c: z.boolean(),
  pse__Status__c: z.string().nullable(),
  LastModifiedDate: Modified,
});
const MilestoneRecord = z.object({
  Id: Reference,
  pse__Project__c: Reference,
  pse__Status__c: z.string().nullable(),
  pse__Actual_Date__c: IsoDate.nullable().optional(),
  LastModifiedDate: Modified,
});

function parse<T>(schema: z.ZodType<T>, kind: CertiniaObjectKind, record: CertiniaRecord): T {
  const result = schema.safeParse(record);
  if (!result.success)
    throw new UnreadableCertiniaRecordError(
      `${CERTINIA_OBJECTS[kind]} ${record.Id}: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return result.data;
}

/** `2026-11-20T09:12:00.000+0000` (Salesforce) as `2026-11-20T09:12:00.000Z`, so versions compare as text. */
const instant = (salesforceDateTime: string) => new Date(salesforceDateTime).toISOString();

const notIn = (status: string | null, allowed: readonly string[]) => `status ${JSON.stringify(status)} is not one of the org's ${JSON.stringify(allowed)}`;

/** Validated before it leaves: a mapping bug fails here, naming the record, not downstream. */
const valid = (events: readonly CanonicalEvent[]) => events.map((e) => parseCanonicalEvent(e));

/**
 * An approved weekly timecard as one `time.approved` per day of its week (ids `<header id>:<date>`),
 * a day without hours included as 0: a day corrected to zero must replace the hours the ledger holds.
 */
export function timecardDecision(source: SystemRef, record: CertiniaRecord, settings: CertiniaSettings, correlationId: string): ApprovedWorkDecision {
  const header = parse(TimecardRecord, 'timecard', record);
  if (!settings.approvedTimecardStatuses.includes(header.pse__Status__c ?? ''))
    return { events: [], reason: notIn(header.pse__Status__c, settings.approvedTimecardStatuses) };
  const role = header.pse__Assignment__r?.pse__Role__c || header.pse__Resource__r?.pse__Resource_Role__c;
  if (!role)
    throw new UnreadableCertiniaRecordError(
      `pse__Timecard_Header__c ${header.Id} is approved but neither its assignment's pse__Role__c nor its resource's pse__Resource_Role__c names a role to price it by`,
    );
  const updatedAt = instant(header.LastModifiedDate);
  const days = explodeTimecard(record as unknown as TimecardHeader);
  const events = days.map((day) =>
    approvedWorkEvent(
      source,
      {
        work: { kind: 'time', item: { id: day.id, workDate: day.workDate, role, hours: day.hours, billable: header.pse__Billable__c } },
        projectId: header.pse__Project__c,
        resourceId: header.pse__Resource__c,
        updatedAt,
      },
      correlationId,
    ),
  );
  return { events: valid(events), reason: `approved: ${days.filter((d) => d.hours !== '0').length} day(s) with hours` };
}

/** An approved expense as `expense.approved`, its amount in the expense's currency. */
export function expenseDecision(source: SystemRef, record: CertiniaRecord, settings: CertiniaSettings, correlationId: string): ApprovedWorkDecision {
  const expense = parse(ExpenseRecord, 'expense', record);
  if (!settings.approvedExpenseStatuses.includes(expense.pse__Status__c ?? ''))
    return { events: [], reason: notIn(expense.pse__Status__c, settings.approvedExpenseStatuses) };
  const amount = money(new Decimal(expense.pse__Amount__c), expense.CurrencyIsoCode);
  const item = { id: expense.Id, incurredOn: expense.pse__Expense_Date__c, category: expense.pse__Type__c, amount, billable: expense.pse__Billable__c };
  const event = approvedWorkEvent(
    source,
    { work: { kind: 'expense', item }, projectId: expense.pse__Project__c, resourceId: expense.pse__Resource__c, updatedAt: instant(expense.LastModifiedDate) },
    correlationId,
  );
  return { events: valid([event]), reason: 'approved' };
}

/**
 * A milestone in a completed status as `milestone.completed`, on its `pse__Actual_Date__c` (the day it
 * was last modified when Certinia has none). The event id is the milestone's alone: completing it
 * again is the same event, and the ledger counts the first.
 */
export function milestoneDecision(source: SystemRef, record: CertiniaRecord, settings: CertiniaSettings, correlationId: string): ApprovedWorkDecision {
  const milestone = parse(MilestoneRecord, 'milestone', record);
  if (!settings.completedMilestoneStatuses.includes(milestone.pse__Status__c ?? ''))
    return { events: [], reason: notIn(milestone.pse__Status__c, settings.completedMilestoneStatuses) };
  const updatedAt = instant(milestone.LastModifiedDate);
  const completedOn = milestone.pse__Actual_Date__c ?? updatedAt.slice(0, 10);
  const event = milestoneCompletedEvent(source, { milestoneId: milestone.Id, projectId: milestone.pse__Project__c, completedOn, updatedAt }, correlationId);
  return { events: valid([event]), reason: `completed on ${completedOn}` };
}

/** The decision for a record of any kind this intake judges. */
export const DECISIONS: Readonly<Record<CertiniaObjectKind, typeof timecardDecision>> = {
  timecard: timecardDecision,
  expense: expenseDecision,
  milestone: milestoneDecision,
};
