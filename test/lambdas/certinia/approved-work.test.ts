import { describe, expect, it } from 'vitest';
import { CertiniaSettings, type ExpenseApprovedEvent, type MilestoneCompletedEvent, type TimeApprovedEvent } from '../../../canonical';
import { expenseDecision, milestoneDecision, timecardDecision, UnreadableCertiniaRecordError } from '../../../lambdas/certinia/approved-work';
import type { BillingContract, TimeEntryToBill } from '../../../lambdas/ports/billing-values';
import { draftInvoice } from '../../../lambdas/time-to-invoice/billing-engine';

// Records as the adapter's SOQL returns them: Salesforce datetimes with +0000, parents nested.
const source = { vendor: 'certinia' as const, instance: 'certinia-main' };
const defaults = CertiniaSettings.parse({});

function timecard(overrides: Record<string, unknown> = {}) {
  return {
    Id: 'a0TC00000000001',
    pse__Project__c: 'a0PP00000000001',
    pse__Resource__c: '003R00000000001',
    pse__Assignment__c: 'a0AA00000000001',
    pse__Start_Date__c: '2026-11-15', // a Sunday
    pse__End_Date__c: '2026-11-21',
    pse__Status__c: 'Approved',
    pse__Billable__c: true,
    pse__Sunday_Hours__c: 0,
    pse__Monday_Hours__c: 8,
    pse__Tuesday_Hours__c: 7.5,
    pse__Wednesday_Hours__c: 0,
    pse__Thursday_Hours__c: 0,
    pse__Friday_Hours__c: 4,
    pse__Saturday_Hours__c: 0,
    LastModifiedDate: '2026-11-23T09:12:00.000+0000',
    pse__Assignment__r: { attributes: { type: 'pse__Assignment__c' }, pse__Role__c: 'Consultant' },
    pse__Resource__r: { attributes: { type: 'Contact' }, pse__Resource_Role__c: 'Analyst' },
    ...overrides,
  };
}
/** The week of 2026-11-15 as `days` lists it: the hours given, 0 on every other day. */
const week = (hours: Record<string, string>, role: string, billable: boolean) =>
  ['2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'].map((d) => [
    `a0TC00000000001:${d}`,
    d,
    hours[d] ?? '0',
    role,
    billable,
  ]);
const days = (events: readonly unknown[]) =>
  (events as TimeApprovedEvent[]).map((e) => [e.payload.entry.id, e.payload.workDate, e.payload.hours, e.payload.role, e.payload.billable]);

describe('timecardDecision', () => {
  it.each([
    {
      name: 'an approved week becomes one time.approved per day of the week, 0 for a day without hours, priced by the assignment role',
      record: timecard(),
      expected: [
        ['a0TC00000000001:2026-11-15', '2026-11-15', '0', 'Consultant', true],
        ['a0TC00000000001:2026-11-16', '2026-11-16', '8', 'Consultant', true],
        ['a0TC00000000001:2026-11-17', '2026-11-17', '7.5', 'Consultant', true],
        ['a0TC00000000001:2026-11-18', '2026-11-18', '0', 'Consultant', true],
        ['a0TC00000000001:2026-11-19', '2026-11-19', '0', 'Consultant', true],
        ['a0TC00000000001:2026-11-20', '2026-11-20', '4', 'Consultant', true],
        ['a0TC00000000001:2026-11-21', '2026-11-21', '0', 'Consultant', true],
      ],
    },
    {
      name: 'a week spanning a month end dates each day in its own month',
      record: timecard({
        pse__Start_Date__c: '2026-11-29',
        pse__Sunday_Hours__c: 2,
        pse__Monday_Hours__c: 8,
        pse__Tuesday_Hours__c: 6,
        pse__Friday_Hours__c: 0,
      }),
      expected: [
        ['a0TC00000000001:2026-11-29', '2026-11-29', '2', 'Consultant', true],
        ['a0TC00000000001:2026-11-30', '2026-11-30', '8', 'Consultant', true],
        ['a0TC00000000001:2026-12-01', '2026-12-01', '6', 'Consultant', true],
        ['a0TC00000000001:2026-12-02', '2026-12-02', '0', 'Consultant', true],
        ['a0TC00000000001:2026-12-03', '2026-12-03', '0', 'Consultant', true],
        ['a0TC00000000001:2026-12-04', '2026-12-04', '0', 'Consultant', true],
        ['a0TC00000000001:2026-12-05', '2026-12-05', '0', 'Consultant', true],
      ],
    },
    {
      name: 'a non-billable timecard makes non-billable days, counted but not billed downstream',
      record: timecard({ pse__Billable__c: false, pse__Tuesday_Hours__c: 0, pse__Friday_Hours__c: 0 }),
      expected: week({ '2026-11-16': '8' }, 'Consultant', false),
    },
    {
      name: "time logged without an assignment is priced by the resource's default role",
      record: timecard({ pse__Assignment__c: null, pse__Assignment__r: null, pse__Tuesday_Hours__c: 0, pse__Friday_Hours__c: 0 }),
      expected: week({ '2026-11-16': '8' }, 'Analyst', true),
    },
  ])('$name', ({ record, expected }) => {
    const decision = timecardDecision(source, record, defaults, 'corr-1');

    expect(days(decision.events)).toEqual(expected);
  });

  it.each([
    { name: 'submitted, not approved', status: 'Submitted', settings: defaults },
    { name: 'rejected', status: 'Rejected', settings: defaults },
    {
      name: "approved by Certinia's default value, in an org that renamed it",
      status: 'Approved',
      settings: CertiniaSettings.parse({ approvedTimecardStatuses: ['Approved by PM'] }),
    },
  ])('publishes nothing for a timecard $name, and says why', ({ status, settings }) => {
    const decision = timecardDecision(source, timecard({ pse__Status__c: status }), settings, 'corr-1');

    expect(decision.events).toEqual([]);
    expect(decision.reason).toContain(`status "${status}" is not one of the org's`);
  });

  it('counts a timecard approved when its status is one the org configured', () => {
    const settings = CertiniaSettings.parse({ approvedTimecardStatuses: ['Approved by PM', 'Approved by Client'] });

    const decision = timecardDecision(source, timecard({ pse__Status__c: 'Approved by Client' }), settings, 'corr-1');

    expect(decision.events).toHaveLength(7);
  });

  it('versions each day by the header LastModifiedDate, so a re-read makes the same event ids and a correction new ones', () => {
    const first = timecardDecision(source, timecard(), defaults, 'corr-1').events as TimeApprovedEvent[];
    const again = timecardDecision(source, timecard(), defaults, 'corr-2').events as TimeApprovedEvent[];
    const corrected = timecardDecision(source, timecard({ LastModifiedDate: '2026-11-24T10:00:00.000+0000' }), defaults, 'corr-3')
      .events as TimeApprovedEvent[];

    expect(first[0]).toMatchObject({
      type: 'time.approved',
      source,
      occurredAt: '2026-11-23T09:12:00.000Z',
      payload: { approvedAt: '2026-11-23T09:12:00.000Z', project: { instance: 'certinia-main', id: 'a0PP00000000001' }, resource: { id: '003R00000000001' } },
    });
    expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
    expect(corrected.map((e) => e.id)).not.toContain(first[0]!.id);
  });

  it('publishes a day corrected to zero as 0 hours, under its id and a newer version, so the ledger replaces the hours it had', () => {
    const approved = timecardDecision(source, timecard({ pse__Tuesday_Hours__c: 8 }), defaults, 'corr-1').events as TimeApprovedEvent[];
    const corrected = timecardDecision(source, timecard({ pse__Tuesday_Hours__c: 0, LastModifiedDate: '2026-11-24T10:00:00.000+0000' }), defaults, 'corr-2')
      .events as TimeApprovedEvent[];

    const tuesday = (events: TimeApprovedEvent[]) => events.find((e) => e.payload.workDate === '2026-11-17')?.payload;
    expect(tuesday(approved)).toMatchObject({ entry: { id: 'a0TC00000000001:2026-11-17' }, hours: '8', approvedAt: '2026-11-23T09:12:00.000Z' });
    expect(tuesday(corrected)).toMatchObject({ entry: { id: 'a0TC00000000001:2026-11-17' }, hours: '0', approvedAt: '2026-11-24T10:00:00.000Z' });
  });

  it('refuses an approved timecard with no role to price it, naming the timecard', () => {
    const record = timecard({ pse__Assignment__r: null, pse__Resource__r: { pse__Resource_Role__c: null } });

    expect(() => timecardDecision(source, record, defaults, 'corr-1')).toThrow(/a0TC00000000001 is approved but neither/);
  });

  it('refuses a record missing what billing needs rather than guessing', () => {
    expect(() => timecardDecision(source, timecard({ pse__Project__c: null }), defaults, 'corr-1')).toThrow(UnreadableCertiniaRecordError);
  });
});

describe('a Certinia timecard in the billing engine', () => {
  // The contract's rate starts on the Monday: the Sunday before it, without hours, has no rate.
  const contract: BillingContract = {
    contractId: 'c-1',
    currency: 'USD',
    model: 'time-and-materials',
    rateCard: [{ role: 'Consultant', hourlyRate: '150', effectiveFrom: '2026-11-16' }],
    expenseMarkupPercent: '0',
    milestones: [],
  };
  const november = { start: '2026-11-01', end: '2026-11-30' };
  const nothingBilled = { billedIds: new Set<string>(), timeBilledMinor: 0 };
  // As RecordApprovedWork keeps them in the ledger: one item per day, the newer version in place of the older.
  const ledgerTime = (events: readonly unknown[]): TimeEntryToBill[] =>
    (events as TimeApprovedEvent[]).map(({ payload: p }) => ({ id: p.entry.id, workDate: p.workDate, role: p.role, hours: p.hours, billable: p.billable }));

  it('bills a day corrected to zero as nothing: no zero line, no rate needed, not counted as billed', () => {
    const corrected = timecardDecision(
      source,
      timecard({ pse__Tuesday_Hours__c: 0, pse__Friday_Hours__c: 0, LastModifiedDate: '2026-11-24T10:00:00.000+0000' }),
      defaults,
      'corr-2',
    );

    const draft = draftInvoice(contract, november, { time: ledgerTime(corrected.events), expenses: [] }, nothingBilled);

    expect(draft.lines.map((l) => [l.quantity, l.amount.amountMinor, l.sourceIds])).toEqual([['8', 120000, ['a0TC00000000001:2026-11-16']]]);
    expect(draft.total.amountMinor).toBe(120000);
    expect(draft.unrated).toEqual([]);
    // A day without hours is on no invoice: corrected to hours later, it is billed, not an exception.
    expect(draft.billedIds).toEqual(['a0TC00000000001:2026-11-16']);
  });

  it('drafts no invoice for a period that holds only days without hours', () => {
    const spanning = timecardDecision(
      source,
      timecard({ pse__Start_Date__c: '2026-11-29', pse__Monday_Hours__c: 0, pse__Tuesday_Hours__c: 8, pse__Friday_Hours__c: 0 }),
      defaults,
      'corr-1',
    );

    const draft = draftInvoice(contract, november, { time: ledgerTime(spanning.events), expenses: [] }, nothingBilled);

    expect(draft.lines).toEqual([]);
    expect(draft.total.amountMinor).toBe(0);
    expect(draft.deferred).toEqual(['a0TC00000000001:2026-12-01']);
  });
});

describe('expenseDecision', () => {
  const expense = (overrides: Record<string, unknown> = {}) => ({
    Id: 'a0EE00000000001',
    pse__Project__c: 'a0PP00000000001',
    pse__Resource__c: '003R00000000001',
    pse__Expense_Date__c: '2026-11-18',
    pse__Type__c: 'Airfare',
    pse__Amount__c: 412.35,
    CurrencyIsoCode: 'USD',
    pse__Billable__c: true,
    pse__Status__c: 'Approved',
    LastModifiedDate: '2026-11-23T09:12:00.000+0000',
    ...overrides,
  });

  it.each([
    { name: 'an approved expense in minor units of its currency', record: expense(), settings: defaults, expected: [[41235, 'USD', 'Airfare', true]] },
    {
      name: 'a non-billable expense, marked so',
      record: expense({ pse__Billable__c: false, pse__Amount__c: '80', CurrencyIsoCode: 'EUR' }),
      settings: defaults,
      expected: [[8000, 'EUR', 'Airfare', false]],
    },
    { name: 'an expense only submitted: nothing', record: expense({ pse__Status__c: 'Submitted' }), settings: defaults, expected: [] },
    {
      name: "an org's own approved value",
      record: expense({ pse__Status__c: 'Finance Approved' }),
      settings: CertiniaSettings.parse({ approvedExpenseStatuses: ['Finance Approved'] }),
      expected: [[41235, 'USD', 'Airfare', true]],
    },
  ])('$name', ({ record, settings, expected }) => {
    const { events } = expenseDecision(source, record, settings, 'corr-1');

    expect(
      (events as ExpenseApprovedEvent[]).map((e) => [e.payload.amount.amountMinor, e.payload.amount.currency, e.payload.category, e.payload.billable]),
    ).toEqual(expected);
  });
});

describe('milestoneDecision', () => {
  const milestone = (overrides: Record<string, unknown> = {}) => ({
    Id: 'a0MM00000000001',
    pse__Project__c: 'a0PP00000000001',
    pse__Status__c: 'Approved',
    pse__Actual_Date__c: '2026-11-27',
    LastModifiedDate: '2026-11-28T08:00:00.000+0000',
    ...overrides,
  });

  it.each([
    { name: 'a milestone in a completed status completes on its actual date', record: milestone(), settings: defaults, expected: ['2026-11-27'] },
    {
      name: 'without an actual date, on the day it was last modified',
      record: milestone({ pse__Actual_Date__c: null }),
      settings: defaults,
      expected: ['2026-11-28'],
    },
    { name: 'a planned milestone: nothing', record: milestone({ pse__Status__c: 'Planned' }), settings: defaults, expected: [] },
    {
      name: "an org's own completed value",
      record: milestone({ pse__Status__c: 'Complete' }),
      settings: CertiniaSettings.parse({ completedMilestoneStatuses: ['Complete'] }),
      expected: ['2026-11-27'],
    },
  ])('$name', ({ record, settings, expected }) => {
    const { events } = milestoneDecision(source, record, settings, 'corr-1');

    expect((events as MilestoneCompletedEvent[]).map((e) => e.payload.completedOn)).toEqual(expected);
  });

  it('is the same event however often the milestone is completed again', () => {
    const first = milestoneDecision(source, milestone(), defaults, 'corr-1').events[0]!;
    const reopenedAndCompleted = milestoneDecision(
      source,
      milestone({ LastModifiedDate: '2026-12-02T08:00:00.000+0000', pse__Actual_Date__c: '2026-12-02' }),
      defaults,
      'corr-2',
    ).events[0]!;

    expect(reopenedAndCompleted.id).toBe(first.id);
  });
});
