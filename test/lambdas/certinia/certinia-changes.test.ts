import { describe, expect, it } from 'vitest';
import { type CanonicalEvent, CertiniaSettings } from '../../../canonical';
import type { CertiniaObjectKind, CertiniaRecord } from '../../../lambdas/certinia/approved-work';
import { CertiniaChangesLostError, certiniaWork, judgeCertiniaChange, UnknownCertiniaEventError } from '../../../lambdas/certinia/certinia-changes';

// An Event Relay delivery as it sits in an SQS body.
function relayed(header: Record<string, unknown>, fields: Record<string, unknown> = {}): string {
  const ChangeEventHeader = {
    entityName: 'pse__Timecard_Header__c',
    recordIds: ['a0TC1'],
    changeType: 'UPDATE',
    changedFields: ['pse__Status__c', 'LastModifiedDate'],
    changeOrigin: 'com/salesforce/ui',
    transactionKey: 'tx-1',
    sequenceNumber: 1,
    commitTimestamp: 1_795_000_000_000,
    commitNumber: 10732871200012345678n.toString(),
    commitUser: '005PM',
    ...header,
  };
  return JSON.stringify({
    source: 'aws.partner/salesforce.com/00DCERT/0YLCERT',
    'detail-type': 'pse__Timecard_Header__ChangeEvent',
    detail: { payload: { ChangeEventHeader, ...fields } },
  });
}

const source = { vendor: 'certinia' as const, instance: 'certinia-main' };
const approved: CertiniaRecord = {
  Id: 'a0TC1',
  pse__Project__c: 'a0PP1',
  pse__Resource__c: '003R1',
  pse__Start_Date__c: '2026-11-16',
  pse__Status__c: 'Approved',
  pse__Billable__c: true,
  pse__Monday_Hours__c: 8,
  pse__Tuesday_Hours__c: 8,
  LastModifiedDate: '2026-11-23T09:12:00.000+0000',
  pse__Assignment__r: { pse__Role__c: 'Consultant' },
};

/** A plain fake of the org and the bus: records by id, what was read and what was published. */
function fakes(records: Record<string, CertiniaRecord> = { a0TC1: approved }) {
  const reads: [CertiniaObjectKind, string][] = [];
  const published: CanonicalEvent[] = [];
  return {
    reads,
    published,
    deps: {
      settings: CertiniaSettings.parse({}),
      read: async (kind: CertiniaObjectKind, id: string) => (reads.push([kind, id]), records[id]),
      publish: async (events: readonly CanonicalEvent[]) => void published.push(...events),
    },
  };
}
const judge = async (body: string, f = fakes()) => Promise.all(certiniaWork(body).map((w) => judgeCertiniaChange(source, w, 'corr-1', f.deps)));

describe('certiniaWork', () => {
  it('fans a multi-record change out per record, keyed on transactionKey, sequenceNumber and record id', () => {
    const work = certiniaWork(relayed({ recordIds: ['a0TC1', 'a0TC2'] }));

    expect(work.map((w) => [w.kind, w.recordId, w.dedupKey])).toEqual([
      ['timecard', 'a0TC1', 'tx-1:1:a0TC1'],
      ['timecard', 'a0TC2', 'tx-1:1:a0TC2'],
    ]);
  });

  it('refuses an object the intake does not take, and GAP_OVERFLOW, which names no records, loudly', () => {
    expect(() => certiniaWork(relayed({ entityName: 'pse__Proj__c' }))).toThrow(UnknownCertiniaEventError);
    expect(() => certiniaWork(relayed({ changeType: 'GAP_OVERFLOW', recordIds: [], changedFields: [] }))).toThrow(CertiniaChangesLostError);
  });
});

describe('judgeCertiniaChange', () => {
  it('re-reads an approval and publishes a time.approved per day of the week, hours or not', async () => {
    const f = fakes();

    const [result] = await judge(relayed({}, { pse__Status__c: 'Approved' }), f);

    expect(result).toMatchObject({ outcome: 'published', published: 7, reason: 'approved: 2 day(s) with hours' });
    expect(f.reads).toEqual([['timecard', 'a0TC1']]);
    expect(f.published.map((e) => e.type)).toEqual(Array(7).fill('time.approved'));
  });

  it.each([
    { name: 'a GAP event without values', header: { changeType: 'GAP_UPDATE', changedFields: [] } },
    { name: 'a create', header: { changeType: 'CREATE' } },
    { name: 'an undelete', header: { changeType: 'UNDELETE', changedFields: [] } },
  ])('re-reads on $name', async ({ header }) => {
    const f = fakes();

    const [result] = await judge(relayed(header), f);

    expect([result!.outcome, f.reads.length]).toEqual(['published', 1]);
  });

  it.each([
    { name: 'a delete, which retracts nothing already approved', header: { changeType: 'DELETE', changedFields: [] }, outcome: 'deleted' },
    {
      name: "an update of fields billing does not read (Certinia's roll-ups)",
      header: { changedFields: ['pse__Total_Billable_Amount__c', 'LastModifiedDate'] },
      outcome: 'irrelevant',
    },
  ])('publishes nothing and reads nothing on $name', async ({ header, outcome }) => {
    const f = fakes();

    const [result] = await judge(relayed(header), f);

    expect(result!.outcome).toBe(outcome);
    expect([f.reads, f.published]).toEqual([[], []]);
  });

  it('publishes nothing for a timecard re-read as not approved, and says why', async () => {
    const f = fakes({ a0TC1: { ...approved, pse__Status__c: 'Submitted' } });

    const [result] = await judge(relayed({}), f);

    expect(result).toMatchObject({ outcome: 'not-billable', reason: expect.stringContaining('"Submitted"') });
    expect(f.published).toEqual([]);
  });

  it('publishes nothing for a record deleted since its change', async () => {
    const f = fakes({});

    const [result] = await judge(relayed({}), f);

    expect(result!.outcome).toBe('gone');
  });

  it('judges expenses and milestones by their own status values', async () => {
    const f = fakes({
      a0EX1: {
        Id: 'a0EX1',
        pse__Project__c: 'a0PP1',
        pse__Resource__c: '003R1',
        pse__Expense_Date__c: '2026-11-18',
        pse__Type__c: 'Hotel',
        pse__Amount__c: 180,
        CurrencyIsoCode: 'USD',
        pse__Billable__c: true,
        pse__Status__c: 'Approved',
        LastModifiedDate: '2026-11-23T09:12:00.000+0000',
      },
      a0MS1: {
        Id: 'a0MS1',
        pse__Project__c: 'a0PP1',
        pse__Status__c: 'Approved',
        pse__Actual_Date__c: '2026-11-27',
        LastModifiedDate: '2026-11-28T09:12:00.000+0000',
      },
    });

    await judge(relayed({ entityName: 'pse__Expense__c', recordIds: ['a0EX1'] }), f);
    await judge(relayed({ entityName: 'pse__Milestone__c', recordIds: ['a0MS1'] }), f);

    expect(f.reads).toEqual([
      ['expense', 'a0EX1'],
      ['milestone', 'a0MS1'],
    ]);
    expect(f.published.map((e) => e.type)).toEqual(['expense.approved', 'milestone.completed']);
  });
});
