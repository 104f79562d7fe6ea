import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutPartnerEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// End to end with Salesforce as the CRM: entering only through the partner event bus, as Event Relay
// delivers, from changes made in the Salesforce sandbox.
let env: LocalEnvironment;
let relay: EventBridgeClient;
const SOURCE = 'aws.partner/salesforce.com/00D000000000LOCAL/0YL000000000LOCAL';

beforeAll(async () => {
  env = await startLocalEnvironment({
    logLevel: 'SILENT',
    retryIntervalOverrides: shortRetries(),
  });
  relay = new EventBridgeClient({ endpoint: env.stack.endpoints.eventbridge, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
}, 120_000);
afterAll(async () => env?.stop());

/** A person's change in the org, through the sandbox back office. */
const backOffice = async (method: string, path: string, body: unknown) => {
  const response = await fetch(`${env.salesforce.url}/__sandbox/${path}`, { method, body: JSON.stringify(body) });
  return response.status === 204 ? undefined : ((await response.json()) as { id: string });
};

async function createOpportunity(name: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const account = await backOffice('POST', 'sobjects/Account', { Name: name, BillingCountryCode: 'US', BillingCity: 'Springfield' });
  const opportunity = await backOffice('POST', 'sobjects/Opportunity', {
    Name: `${name} rollout`,
    StageName: 'Negotiation/Review',
    Amount: 125000,
    CurrencyIsoCode: 'USD',
    CloseDate: '2026-11-30',
    AccountId: account!.id,
    PS_Legal_Entity__c: 'acme-enterprise',
    PS_Business_Unit__c: 'delivery',
    PS_Tax_Profile__c: 'US-EXEMPT',
    PS_Billing_Terms__c: 'time-and-materials',
    PS_Payment_Terms__c: 'NET30',
    PS_Contract_Start__c: '2026-12-01',
    ...overrides,
  });
  const id = opportunity!.id;
  for (const line of [
    { Name: 'Consultant', UnitPrice: 165.5, Quantity: 1, PS_Line_Type__c: 'rate', PS_Effective_From__c: '2026-12-01' },
    { Name: 'Discovery', PS_Line_Type__c: 'task', PS_Estimated_Hours__c: 40 },
  ]) {
    await backOffice('POST', 'sobjects/OpportunityLineItem', { OpportunityId: id, ...line });
  }
  await env.settled();
  return id;
}

const win = async (id: string) => {
  await backOffice('PATCH', `sobjects/Opportunity/${id}`, { StageName: 'Closed Won' });
  await env.settled();
};

function counts() {
  return {
    customers: env.netsuite.us.records('customer').length,
    jobs: env.netsuite.us.records('job').length,
    workspaces: env.kantata.objects('workspaces').length,
    executions: env.stack.stepFunctions.executions.length,
  };
}
const workspaceOf = (opportunityId: string) =>
  env.kantata.objects('workspaces').filter((w) => String(w.title).startsWith(String(env.salesforce.record('Opportunity', opportunityId)?.Name)));
/** Reads of one opportunity the intake made after a given request count: a judged change re-reads, a dropped one does not. */
const readsOf = (opportunityId: string, after: number) =>
  env.salesforce.requests.slice(after).filter((r) => r.method === 'GET' && r.path.endsWith(`/sobjects/Opportunity/${opportunityId}`)).length;
const put = async (detailType: string, detail: string) => {
  const result = await relay.send(new PutPartnerEventsCommand({ Entries: [{ Source: SOURCE, DetailType: detailType, Detail: detail }] }));
  expect(result.FailedEntryCount).toBe(0);
};
/** The relayed change events that name an opportunity. */
const changesOf = (opportunityId: string) => env.salesforce.emitted.filter((e) => e.detail.includes(`"${opportunityId}"`));

describe('opportunity to project with Salesforce as the CRM, through Event Relay', () => {
  let won: string;

  it('turns a won opportunity into exactly one customer, ERP project and PSA project, and writes the ids to the Salesforce record', async () => {
    const before = counts();
    won = await createOpportunity('Initech');

    await win(won);

    expect(counts()).toEqual({ customers: before.customers + 1, jobs: before.jobs + 1, workspaces: before.workspaces + 1, executions: before.executions + 1 });
    const [workspace] = workspaceOf(won);
    const record = env.salesforce.record('Opportunity', won)!;
    expect(record).toMatchObject({ PS_Sync_Status__c: 'synced', PS_PSA_Project_Id__c: workspace!.id });
    expect(env.netsuite.us.records('customer').find((c) => c.id === record.PS_ERP_Customer_Id__c)).toMatchObject({ companyName: 'Initech' });
    expect(env.stack.stepFunctions.executions.at(-1)).toMatchObject({ name: `salesforce-main-${won}-r1`, status: 'SUCCEEDED' });
  });

  it('drops our own write-back when it comes back as a change event: no re-read, nothing started', async () => {
    const write = env.salesforce.writes.filter((w) => w.id === won).at(-1)!;
    const echo = changesOf(won).at(-1)!;

    expect(write.changeOrigin).toContain('client=ps-sync');
    expect(echo.detail).toContain('client=ps-sync');
    // The echo was relayed after the write-back; the intake judged it without reading the record again.
    const afterWriteBack = env.salesforce.requests.findLastIndex((r) => r.method === 'PATCH' && r.path.endsWith(`/sobjects/Opportunity/${won}`));
    expect(readsOf(won, afterWriteBack)).toBe(0);
  });

  it('makes nothing more from the same event relayed five times, concurrently and in sequence, and from a 3-day relay replay', async () => {
    const before = counts();
    const winning = changesOf(won).find((e) => e.detail.includes('"StageName":"Closed Won"') && e.detail.includes('com/salesforce/ui'))!;

    await Promise.all([1, 2, 3].map(() => put(winning.detailType, winning.detail)));
    for (let i = 0; i < 2; i++) await put(winning.detailType, winning.detail);
    await fetch(`${env.salesforce.url}/__sandbox/relay/replay`, { method: 'POST', body: '{}' });
    await env.settled();

    expect(counts()).toEqual(before);
  });

  it('never acts on an older change arriving after a newer one', async () => {
    const created = changesOf(won)[0]!;
    // The same old commit under a new transaction key, so deduplication does not hide it: only ordering can.
    const older = created.detail.replace(/"transactionKey":"[^"]+"/, `"transactionKey":"${randomUUID()}"`);
    const mark = env.salesforce.requests.length;
    const before = counts();

    await put(created.detailType, older);
    await env.settled();

    // Re-read once (the record must exist before its commit is recorded), then judged stale: nothing started.
    expect(readsOf(won, mark)).toBe(1);
    expect(counts()).toEqual(before);
    expect(env.salesforce.record('Opportunity', won)).toMatchObject({ StageName: 'Closed Won', PS_Sync_Status__c: 'synced' });
  });

  it('refuses a change whose commit number is not a plain integer: recorded with its reason, nothing read, written or started', async () => {
    const created = changesOf(won)[0]!;
    const forged = created.detail
      .replace(/"transactionKey":"[^"]+"/, `"transactionKey":"${randomUUID()}"`)
      .replace(/"commitNumber":\s*"?\d+"?/, '"commitNumber":"99999999999999999999abc"');
    const mark = env.salesforce.requests.length;
    const before = counts();

    await put(created.detailType, forged);
    await env.settled();

    expect(readsOf(won, mark)).toBe(0);
    expect(counts()).toEqual(before);
    const dynamodb = new DynamoDBClient({
      endpoint: env.stack.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const refused = ((await dynamodb.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? []).filter(
      (i) => i.pk?.S === 'EXCEPTION#opportunity-to-project#relayed-change#salesforce-main:malformed-change-event',
    );
    expect(refused.map((i) => i.reason?.S)).toEqual([expect.stringContaining('commitNumber must be a plain unsigned integer')]);
    // The forged number was never recorded, so no later real change of the record can look stale.
    const registry = (await dynamodb.send(new ScanCommand({ TableName: env.stack.tableNames.crossReferences }))).Items ?? [];
    expect(registry.length).toBeGreaterThan(0);
    expect(JSON.stringify(registry)).not.toContain('99999999999999999999');
  });

  it('fans out a merged event of one transaction over two opportunities', async () => {
    const a = await createOpportunity('Hooli');
    const b = await createOpportunity('Pied Piper');
    const before = counts();

    await backOffice('PATCH', 'sobjects/Opportunity', { ids: [a, b], values: { StageName: 'Closed Won' } });
    await env.settled();

    expect(JSON.parse(changesOf(a).at(-2)?.detail ?? changesOf(a).at(-1)!.detail).payload.ChangeEventHeader.recordIds).toEqual([a, b]);
    expect(counts()).toMatchObject({ workspaces: before.workspaces + 2, executions: before.executions + 2 });
    expect([workspaceOf(a), workspaceOf(b)].map((w) => w.length)).toEqual([1, 1]);
  });

  it('re-reads the records of a GAP event and acts on what it finds', async () => {
    const gap = await createOpportunity('Vandelay');
    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: '{}' });
    await win(gap);
    expect(workspaceOf(gap)).toHaveLength(0);

    await fetch(`${env.salesforce.url}/__sandbox/relay/gap`, {
      method: 'POST',
      body: JSON.stringify({ sobject: 'Opportunity', ids: [gap], changeType: 'GAP_UPDATE' }),
    });
    await env.settled();

    expect(workspaceOf(gap)).toHaveLength(1);
  });

  it('takes the Deal_Won__e platform event as well, on its own relay channel beside CDC', async () => {
    const deal = await createOpportunity('Bluth');
    // The change event is lost on the CDC relay; the flow's Deal_Won__e reaches the stack on the platform-event relay.
    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: '{}' });
    await win(deal);
    expect(workspaceOf(deal)).toHaveLength(0);

    const published = await backOffice('POST', 'platform-events/Deal_Won__e', { Opportunity_Id__c: deal });
    await env.settled();

    expect(workspaceOf(deal)).toHaveLength(1);
    // Two relays of one org, two partner sources: the platform event came on its own.
    const relays = env.config.eventRelays.filter((r) => r.instance === 'salesforce-main');
    expect(relays.map((r) => r.channel).sort()).toEqual(['/data/ChangeEvents', '/event/Deal_Won_Relay__chn']);
    expect([...env.stack.partnerBuses.keys()]).toEqual(expect.arrayContaining(relays.map((r) => r.eventSourceName)));
    expect(env.salesforce.published.filter((e) => e.detail.includes(published!.id))).toHaveLength(1);

    // The same event on the CDC relay's source matches no rule there: a channel carries one kind of event.
    const stray = await createOpportunity('Bluth Stray');
    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: '{}' });
    await win(stray);
    await put(
      'Deal_Won__e',
      JSON.stringify({ payload: { Opportunity_Id__c: stray, EventUuid: randomUUID(), CreatedById: '0050000000ALICE' }, schemaId: 'x', id: randomUUID() }),
    );
    await env.settled();
    expect(workspaceOf(stray)).toHaveLength(0);
    // Published by the org, it comes on its relay; the deal is not left for the reconciliation tests below.
    await backOffice('POST', 'platform-events/Deal_Won__e', { Opportunity_Id__c: stray });
    await env.settled();
    expect(workspaceOf(stray)).toHaveLength(1);
  });

  it('finds a deal whose event was lost by scheduled reconciliation, and reconciles on GAP_OVERFLOW', async () => {
    const lost = await createOpportunity('Wonka');
    const overflowed = await createOpportunity('Stark');
    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: JSON.stringify({ count: 1 }) });
    await win(lost);
    expect(workspaceOf(lost)).toHaveLength(0);

    await env.stack.scheduler.fire('ReconcileWonDealsSchedule-salesforce-main');
    await env.settled();
    expect(workspaceOf(lost)).toHaveLength(1);

    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: JSON.stringify({ count: 1 }) });
    await win(overflowed);
    await fetch(`${env.salesforce.url}/__sandbox/relay/gap`, { method: 'POST', body: JSON.stringify({ sobject: 'Opportunity', changeType: 'GAP_OVERFLOW' }) });
    await env.settled();
    expect(workspaceOf(overflowed)).toHaveLength(1);
    // Everything reconciliation found was synced once: a second run finds nothing missing and starts nothing.
    const before = counts();
    await env.stack.scheduler.fire('ReconcileWonDealsSchedule-salesforce-main');
    await env.settled();
    expect(counts()).toEqual(before);
  });

  it('reconciles when deliveries lag far behind their commits, as when a stopped relay recovers', async () => {
    const skipped = await createOpportunity('Globex Recovery');
    await fetch(`${env.salesforce.url}/__sandbox/relay/lose-next`, { method: 'POST', body: '{}' });
    await win(skipped);
    expect(workspaceOf(skipped)).toHaveLength(0);
    // The relay resumes with a change committed three days ago.
    const old = changesOf(won)[0]!
      .detail.replace(/"transactionKey":"[^"]+"/, `"transactionKey":"${randomUUID()}"`)
      .replace(/"commitTimestamp":\d+/, `"commitTimestamp":${Date.now() - 3 * 86_400_000}`);

    await put('OpportunityChangeEvent', old);
    await env.settled();

    expect(workspaceOf(skipped)).toHaveLength(1);
  });

  it('refreshes the session on INVALID_SESSION_ID while reading, and rides out REQUEST_LIMIT_EXCEEDED on the write-back', async () => {
    const deal = await createOpportunity('Soylent');
    const mark = env.salesforce.requests.length;
    env.salesforce.injectFault({
      method: 'GET',
      pathPrefix: `/services/data/v64.0/sobjects/Opportunity/${deal}`,
      response: { status: 401, json: [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid', fields: [] }] },
    });
    env.salesforce.injectFault({
      method: 'PATCH',
      pathPrefix: `/services/data/v64.0/sobjects/Opportunity/${deal}`,
      times: 2,
      response: { status: 403, json: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.', fields: [] }] },
    });

    await win(deal);

    expect(workspaceOf(deal)).toHaveLength(1);
    expect(env.salesforce.record('Opportunity', deal)).toMatchObject({ PS_Sync_Status__c: 'synced' });
    expect(
      env.salesforce.requests
        .slice(mark)
        .filter((r) => r.path.endsWith(`/sobjects/Opportunity/${deal}`))
        .map((r) => `${r.method} ${r.status}`),
    ).toEqual(['GET 401', 'GET 200', 'PATCH 403', 'PATCH 403', 'PATCH 204']);
    // The refused session is replaced by running the OAuth flow again, not by re-reading a static token.
    expect(
      env.salesforce.requests
        .slice(mark)
        .filter((r) => r.path === '/services/oauth2/token')
        .map((r) => r.status),
    ).toContain(200);
  });
});
