import { describe, expect, it } from 'vitest';
import type { CrmSettings, OpportunityWonEvent } from '../../../canonical';
import { CrmFieldNames } from '../../../canonical';
import {
  judgeOpportunityChange,
  type OpportunityChangeDependencies,
  RELAY_RECOVERY_LAG_MS,
  type RelayedWork,
  reconciliationNeeded,
  relayedWork,
  UnknownRelayedEventError,
} from '../../../lambdas/salesforce/opportunity-changes';
import type { SalesforceOpportunitySnapshot } from '../../../lambdas/salesforce/opportunity-mapping';
import { relayedChangeEvent } from '../../support/relayed-change';

// Domain tests with plain fakes typed by the dependencies; the same paths run end to end in test/e2e.
const fields = CrmFieldNames.parse({ legalEntity: 'PS_Legal_Entity__c', syncRevision: 'PS_Sync_Revision__c' });
const settings: CrmSettings = { wonStages: ['Closed Won'], fields, integrationUserId: '0050000000INTEG' };

const relayed = (header: Record<string, unknown> = {}, fields: Record<string, unknown> = {}, commitNumber = '9007199254741993') =>
  relayedChangeEvent({ ...header }, fields, commitNumber);

const snapshot = (stage: string): SalesforceOpportunitySnapshot => ({
  opportunity: { Id: '006A', Name: 'Globex rollout', StageName: stage, CurrencyIsoCode: 'USD', Amount: 1000, PS_Legal_Entity__c: 'acme-us', AccountId: '001A' },
  account: { Id: '001A', Name: 'Globex', BillingCountryCode: 'US' },
  lineItems: [{ Id: '00kA', Name: 'Consultant', UnitPrice: 150, PS_Line_Type__c: 'rate', PS_Effective_From__c: '2026-12-01' }],
});

function fakes(stage = 'Closed Won', options: { lastWrite?: Date; storedCommit?: string; missing?: boolean } = {}) {
  const published: OpportunityWonEvent[] = [];
  const reads: string[] = [];
  // Every call in order, to show what is read before anything is written.
  const calls: string[] = [];
  // Per opportunity and strictly newer only, as the registry's recordVersion.
  const stored = new Map<string, string>(options.storedCommit ? [['006A', options.storedCommit]] : []);
  const deps: OpportunityChangeDependencies = {
    settings,
    clientId: 'ps-sync',
    readOpportunity: async (id) => (reads.push(id), calls.push(`read ${id}`), options.missing ? undefined : snapshot(stage)),
    publish: async (e) => void published.push(e),
    recordCommit: async (id, commit) => {
      calls.push(`record ${id}@${commit}`);
      const previous = stored.get(id);
      if (previous !== undefined && BigInt(commit) <= BigInt(previous)) return { outcome: 'stale' as const, storedVersion: previous };
      stored.set(id, commit);
      return { outcome: 'applied' as const };
    },
    lastOwnWrite: async () => options.lastWrite,
    now: () => new Date('2026-12-01T12:00:00Z'),
  };
  return { deps, published, reads, calls, stored };
}
const records = (raw: string) => relayedWork(raw).filter((w): w is Extract<RelayedWork, { kind: 'record' }> => w.kind === 'record');
const judge = async (raw: string, f = fakes()) => Promise.all(records(raw).map((w) => judgeOpportunityChange('salesforce-main', w, 'corr-1', f.deps)));

describe('judgeOpportunityChange', () => {
  it('publishes a won opportunity, re-read in full, as the canonical event with the commit as source version', async () => {
    const f = fakes();

    expect(await judge(relayed({}, { StageName: 'Closed Won' }), f)).toEqual([{ outcome: 'published' }]);
    expect(f.reads).toEqual(['006A']);
    expect(f.published[0]).toMatchObject({
      type: 'opportunity.won',
      source: { vendor: 'salesforce', instance: 'salesforce-main' },
      sourceVersion: '9007199254741993',
      legalEntityId: 'acme-us',
    });
    expect(f.published[0]!.payload.contract.rateCard).toEqual([{ role: 'Consultant', hourlyRate: '150', effectiveFrom: '2026-12-01' }]);
  });

  it.each([
    ['our client id in changeOrigin', { changeOrigin: 'com/salesforce/api/rest/64.0;client=ps-sync' }, undefined, /changeOrigin names our client/],
    ['our integration user as committer (automation after our write)', { commitUser: '0050000000INTEG' }, undefined, /integration user/],
    ['a change within the echo window of our own write', { commitTimestamp: 1_795_000_010_000 }, new Date(1_795_000_000_000), /our own write/],
  ])('drops an echo recognised by %s, without reading or publishing', async (_case, header, lastWrite, reason) => {
    const f = fakes('Closed Won', lastWrite ? { lastWrite } : {});

    const [result] = await judge(relayed(header, { StageName: 'Closed Won' }), f);

    expect(result).toEqual({ outcome: 'echo', reason: expect.stringMatching(reason) });
    expect([f.reads, f.published]).toEqual([[], []]);
  });

  it('never acts on a commit older than one already applied, and takes the same commit again (a retry)', async () => {
    const older = fakes('Closed Won', { storedCommit: '9007199254741995' });
    const retry = fakes('Closed Won', { storedCommit: '9007199254741993' });

    expect(await judge(relayed({}, { StageName: 'Closed Won' }), older)).toEqual([{ outcome: 'stale', reason: expect.stringContaining('older') }]);
    // Read first (the record must exist before its commit is recorded), then judged stale: nothing published.
    expect([older.reads, older.published]).toEqual([['006A'], []]);
    expect((await judge(relayed({}, { StageName: 'Closed Won' }), retry))[0]!.outcome).toBe('published');
  });

  it('re-reads the record before it writes anything to the registry', async () => {
    const f = fakes();

    await judge(relayed({}, { StageName: 'Closed Won' }), f);

    expect(f.calls).toEqual(['read 006A', 'record 006A@9007199254741993']);
  });

  it('writes nothing to the registry for a record the org does not have, and publishes nothing', async () => {
    const f = fakes('Closed Won', { missing: true });

    const [result] = await judge(relayed({ recordIds: ['006MADEUP'] }, { StageName: 'Closed Won' }), f);

    expect(result).toEqual({ outcome: 'not-found', reason: expect.stringContaining('006MADEUP') });
    expect(f.calls).toEqual(['read 006MADEUP']);
    expect([f.stored.size, f.published.length]).toEqual([0, 0]);
  });

  it('ignores changes to fields that do not matter, and deletes', async () => {
    const f = fakes();

    expect(await judge(relayed({ changedFields: ['Description'] }, { Description: 'x' }), f)).toEqual([{ outcome: 'irrelevant' }]);
    expect((await judge(relayed({ changeType: 'DELETE', changedFields: [] }), f))[0]!.outcome).toBe('deleted');
    expect(f.reads).toEqual([]);
  });

  it.each(['CREATE', 'UNDELETE'])('re-reads on %s whatever fields it lists: a record created or restored already won counts', async (changeType) => {
    const f = fakes();

    expect(await judge(relayed({ changeType, changedFields: ['Name'] }, { Name: 'Globex rollout' }), f)).toEqual([{ outcome: 'published' }]);
    expect(f.reads).toEqual(['006A']);
  });

  it('treats a bumped sync revision as relevant, and a not-won stage as not won', async () => {
    const f = fakes('Negotiation/Review');

    expect(await judge(relayed({ changedFields: ['PS_Sync_Revision__c'] }, { PS_Sync_Revision__c: 2 }), f)).toEqual([{ outcome: 'not-won' }]);
    expect(f.published).toEqual([]);
  });

  it('re-reads the records of a GAP event, which carries no values', async () => {
    const f = fakes();

    expect(await judge(relayed({ changeType: 'GAP_UPDATE', changedFields: [], recordIds: ['006A', '006B'] }), f)).toEqual([
      { outcome: 'published' },
      { outcome: 'published' },
    ]);
    expect(f.reads).toEqual(['006A', '006B']);
  });
});

describe('relayedWork', () => {
  it('turns GAP_OVERFLOW into one reconciliation of the entity', () => {
    expect(relayedWork(relayed({ changeType: 'GAP_OVERFLOW', recordIds: [], changedFields: [] }))).toEqual([
      { kind: 'reconcile', entityName: 'Opportunity', dedupKey: 'GAP_OVERFLOW:tx-1' },
    ]);
  });

  it('reads the Deal_Won__e platform event as a re-read of its opportunity, deduplicated by its EventUuid', () => {
    const raw = JSON.stringify({ 'detail-type': 'Deal_Won__e', detail: { payload: { Opportunity_Id__c: '006A', EventUuid: 'e-1' } } });

    expect(relayedWork(raw)).toEqual([
      { kind: 'record', dedupKey: 'Deal_Won__e:e-1', recordId: '006A', change: { action: 'reread', recordId: '006A', dedupKey: 'e-1' } },
    ]);
  });

  it("reads the org's own won-deal platform event, and no longer takes Deal_Won__e there", () => {
    const own = { apiName: 'PS_Deal_Closed__e', opportunityIdField: 'PS_Opportunity__c' };
    const raw = JSON.stringify({ 'detail-type': 'PS_Deal_Closed__e', detail: { payload: { PS_Opportunity__c: '006B', EventUuid: 'e-2' } } });

    expect(relayedWork(raw, own)).toEqual([
      { kind: 'record', dedupKey: 'PS_Deal_Closed__e:e-2', recordId: '006B', change: { action: 'reread', recordId: '006B', dedupKey: 'e-2' } },
    ]);
    const dealWon = JSON.stringify({ 'detail-type': 'Deal_Won__e', detail: { payload: { Opportunity_Id__c: '006A', EventUuid: 'e-1' } } });
    expect(() => relayedWork(dealWon, own)).toThrow(/neither OpportunityChangeEvent nor PS_Deal_Closed__e/);
  });

  it('refuses an event it does not take, naming it', () => {
    expect(() => relayedWork(JSON.stringify({ 'detail-type': 'AccountChangeEvent', detail: { payload: {} } }))).toThrow(UnknownRelayedEventError);
    expect(() => relayedWork(JSON.stringify({ 'detail-type': 'Deal_Won__e', detail: { payload: { EventUuid: 'e' } } }))).toThrow(/without Opportunity_Id__c/);
  });
});

describe('reconciliationNeeded', () => {
  const committed = 1_795_000_000_000;
  const at = (ms: number) => new Date(committed + ms);

  it('asks once per overflow event on GAP_OVERFLOW', () => {
    expect(reconciliationNeeded('sf', relayedWork(relayed({ changeType: 'GAP_OVERFLOW', recordIds: [], changedFields: [] })), at(0))).toEqual({
      reason: 'gap-overflow',
      dedupKey: 'GAP_OVERFLOW:tx-1',
    });
  });

  it('asks once per instance and hour when deliveries lag their commits: the relay is recovering', () => {
    const work = relayedWork(relayed({ commitTimestamp: committed }, { StageName: 'Closed Won' }));

    expect(reconciliationNeeded('sf', work, at(RELAY_RECOVERY_LAG_MS - 1))).toBeUndefined();
    const late = reconciliationNeeded('sf', work, at(3 * 86_400_000));
    const later = reconciliationNeeded('sf', work, at(3 * 86_400_000 + 60_000));
    expect(late).toEqual({ reason: 'relay-recovery', dedupKey: expect.stringMatching(/^relay-recovery:sf:\d{4}-\d{2}-\d{2}T\d{2}$/) });
    expect(later?.dedupKey).toBe(late?.dedupKey);
  });
});
