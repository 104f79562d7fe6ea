import { describe, expect, it } from 'vitest';
import {
  compareCommits,
  echoReason,
  fanOut,
  MalformedChangeEventError,
  parseRelayedChange,
  UnsupportedChangeEncodingError,
} from '../../../../lambdas/common/salesforce-platform/change-events';
import { relayedChangeEvent } from '../../../support/relayed-change';

// An Event Relay delivery as text, the way it sits in an SQS body; commitNumber above 2^53 as a JSON number.
const relayed = (header: Record<string, unknown> = {}, fields: Record<string, unknown> = {}, commitNumber = '10732871200012345678') =>
  relayedChangeEvent({ changeOrigin: 'com/salesforce/api/soap/64.0;client=SfdcInternalAPI/', commitUser: '005USER', ...header }, fields, commitNumber);

describe('parseRelayedChange', () => {
  it('keeps a commit number above 2^53 exact, where JSON.parse would round it', () => {
    const raw = relayed({});

    const naive = (JSON.parse(raw) as { detail: { payload: { ChangeEventHeader: { commitNumber: number } } } }).detail.payload.ChangeEventHeader.commitNumber;
    expect(BigInt(naive).toString()).not.toBe('10732871200012345678');
    expect(parseRelayedChange(raw).header.commitNumber).toBe('10732871200012345678');
  });

  it.each([
    ['digits followed by letters', '"12abc"'],
    ['an exponent', '1.5e3'],
    ['a fraction', '12.5'],
    ['a negative number', '-4'],
    ['more than 38 digits', '1'.repeat(39)],
    ['an empty string', '""'],
  ])('refuses a commit number that is %s, rather than reading its leading digits', (_case, commitNumber) => {
    expect(() => parseRelayedChange(relayed({}, {}, commitNumber))).toThrow(MalformedChangeEventError);
    expect(() => parseRelayedChange(relayed({}, {}, commitNumber))).toThrow(/commitNumber must be a plain unsigned integer/);
  });

  it('takes a commit number written as a string of digits as well as a number', () => {
    expect(parseRelayedChange(relayed({}, {}, '"10732871200012345678"')).header.commitNumber).toBe('10732871200012345678');
  });

  it('refuses a negative sequence number as a malformed header', () => {
    expect(() => parseRelayedChange(relayed({ sequenceNumber: -1 }))).toThrow(/ChangeEventHeader is malformed: sequenceNumber/);
  });

  it('refuses the Pub/Sub bitmap encoding of changedFields loudly', () => {
    expect(() => parseRelayedChange(relayed({ changedFields: ['0x1A'] }))).toThrow(UnsupportedChangeEncodingError);
  });
});

describe('fanOut', () => {
  it('fans a multi-record event out to one change per record, each with its own dedup key', () => {
    const { header, fields } = parseRelayedChange(relayed({ recordIds: ['006A', '006B'], changedFields: ['StageName'] }, { StageName: 'Closed Won' }));

    expect(fanOut(header, fields).map((c) => (c.action === 'apply' ? [c.recordId, c.dedupKey] : c.action))).toEqual([
      ['006A', 'tx-1:1:006A'],
      ['006B', 'tx-1:1:006B'],
    ]);
  });

  it('tells changed fields from enriched ones, and names compound fields as CDC lists them', () => {
    const { header, fields } = parseRelayedChange(
      relayed({ changedFields: ['BillingAddress.Street'] }, { Name: 'Globex', BillingAddress: { Street: '2 Globex Way', City: 'Springfield' } }),
    );

    const [change] = fanOut(header, fields);
    expect(change).toMatchObject({
      action: 'apply',
      changed: { 'BillingAddress.Street': '2 Globex Way' },
      enriched: { Name: 'Globex', 'BillingAddress.City': 'Springfield' },
    });
  });

  it('asks for a re-read on GAP events and a reconciliation of the entity on GAP_OVERFLOW', () => {
    const gap = parseRelayedChange(relayed({ changeType: 'GAP_UPDATE', changedFields: [] }));
    const overflow = parseRelayedChange(relayed({ changeType: 'GAP_OVERFLOW', recordIds: [], changedFields: [] }));

    expect(fanOut(gap.header, gap.fields)).toEqual([{ action: 'reread', recordId: '006A', dedupKey: 'tx-1:1:006A' }]);
    expect(fanOut(overflow.header, overflow.fields)).toEqual([{ action: 'reconcile-entity', entityName: 'Opportunity' }]);
  });
});

describe('echoReason', () => {
  const own = { clientId: 'ps-sync', integrationUserId: '005INTEGRATION', recentWrites: new Map([['006A', 1_795_000_000_000 - 5_000]]) };

  it('recognises our client id in changeOrigin exactly, not a lookalike', () => {
    const ours = parseRelayedChange(relayed({ changeOrigin: 'com/salesforce/api/rest/64.0;client=ps-sync', recordIds: ['006Z'] })).header;
    const lookalike = parseRelayedChange(
      relayed({ changeOrigin: 'com/salesforce/api/rest/64.0;client=ps-sync-staging', recordIds: ['006Z'], commitTimestamp: 1 }),
    ).header;

    expect(echoReason(ours, '006Z', own)).toMatch(/changeOrigin names our client/);
    expect(echoReason(lookalike, '006Z', own)).toBeUndefined();
  });

  it('recognises our integration user, and automation shortly after our own write', () => {
    const byUser = parseRelayedChange(relayed({ commitUser: '005INTEGRATION', recordIds: ['006Z'] })).header;
    const automation = parseRelayedChange(relayed({})).header;
    const later = parseRelayedChange(relayed({ commitTimestamp: 1_795_000_000_000 + 120_000 })).header;

    expect(echoReason(byUser, '006Z', own)).toMatch(/integration user/);
    expect(echoReason(automation, '006A', own)).toMatch(/of our own write/);
    expect(echoReason(later, '006A', own)).toBeUndefined();
  });
});

describe('compareCommits', () => {
  it('orders commit numbers above 2^53 exactly, then by sequence number', () => {
    expect(compareCommits({ commitNumber: '9007199254740993', sequenceNumber: 1 }, { commitNumber: '9007199254740992', sequenceNumber: 9 })).toBeGreaterThan(0);
    expect(compareCommits({ commitNumber: '42', sequenceNumber: 1 }, { commitNumber: '42', sequenceNumber: 2 })).toBeLessThan(0);
  });
});
