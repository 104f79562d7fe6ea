import { createHmac } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// End to end: entering only through the local API (HubSpot webhooks from its sandbox) and the bus.
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({
    logLevel: 'SILENT',
    retryIntervalOverrides: shortRetries(),
  });
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };

function createDeal(overrides: Record<string, string> = {}, company = 'Globex Corporation', extraLineItems: Record<string, string>[] = []): Promise<string> {
  return createHubSpotDeal(env.hubspot.url, { company, overrides, extraLineItems });
}

async function closeWin(dealId: string, stage = 'closedwon'): Promise<void> {
  await fetch(`${env.hubspot.url}/__sandbox/deals/${dealId}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: stage }) });
  await env.settled();
}

function counts() {
  return {
    customers: env.netsuite.us.records('customer').length + env.netsuite.ca.records('customer').length,
    jobs: env.netsuite.us.records('job').length + env.netsuite.ca.records('job').length,
    workspaces: env.kantata.objects('workspaces').length,
    rateCardSets: env.kantata.objects('rate_card_sets').length,
    executions: env.stack.stepFunctions.executions.length,
  };
}

describe('opportunity to project on the local stack', () => {
  let dealId: string;

  it('turns one won deal into exactly one customer, one ERP project, one PSA project with its tasks and rate card, and the ids in the CRM', async () => {
    dealId = await createDeal();
    await closeWin(dealId);

    const [customer] = env.netsuite.us.records('customer');
    const [job] = env.netsuite.us.records('job');
    const [workspace] = env.kantata.objects('workspaces');
    expect(counts()).toEqual({ customers: 1, jobs: 1, workspaces: 1, rateCardSets: 1, executions: 1 });
    // Currency by its internal id (local currencyIds), the subsidiary of the OneWorld account's legal entity.
    expect(customer).toMatchObject({
      companyName: 'Globex Corporation',
      currency: { id: '1' },
      subsidiary: { id: '1' },
      terms: { id: '2' },
      taxItem: { id: '11' },
    });
    expect(job).toMatchObject({ parent: { id: customer!.id }, companyName: 'Globex Corporation rollout' });
    expect(env.kantata.objects('stories').map((s) => [s.title, s.story_type])).toEqual([
      ['Discovery', 'task'],
      ['Design signed off', 'milestone'],
    ]);
    // Each record we made carries our reference, written in its own create.
    expect(env.kantata.objects('external_references').map((r) => [r.subject_type, r.service_model])).toEqual([
      ['Workspace', 'project'],
      ['Story', 'task'],
      ['Story', 'milestone'],
      ['RateCard', 'rate-card'],
    ]);
    expect(env.kantata.objects('external_references')[0]).toMatchObject({ subject_id: workspace!.id, service_name: 'ps-sync' });
    // Kantata carries money as *_in_cents with a currency.
    expect(workspace).toMatchObject({ currency: 'USD', price_in_cents: 12500000 });
    // The rate card, read back through Kantata's own objects: the workspace's rate card, its version per date, cents per hour by role.
    const roleName = new Map(env.kantata.objects('roles').map((r) => [r.id, r.name]));
    const rates = env.kantata
      .objects('rate_card_versions')
      .filter((v) => v.rate_card_id === workspace!.rate_card_id)
      .map((v) => [
        v.effective_date,
        Object.fromEntries(
          env.kantata
            .objects('rate_card_roles')
            .filter((r) => r.rate_card_version_id === v.id)
            .map((r) => [roleName.get(String(r.role_id)), r.rate]),
        ),
      ]);
    expect(rates).toEqual([
      ['2026-12-01', { Consultant: 16550, Principal: 27500 }],
      ['2027-04-01', { Consultant: 17200, Principal: 27500 }],
    ]);
    expect(env.hubspot.object('deals', dealId)?.properties).toMatchObject({
      ps_erp_customer_id: customer!.id,
      ps_erp_project_id: job!.id,
      ps_psa_project_id: workspace!.id,
      ps_sync_status: 'synced',
    });
    expect(env.stack.stepFunctions.executions[0]).toMatchObject({ name: `hubspot-main-${dealId}-r1`, status: 'SUCCEEDED' });
  });

  it('records every vendor write in the audit trail with its execution and a payload hash, never the payload', async () => {
    const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });

    const { Items = [] } = await client.send(new ScanCommand({ TableName: env.stack.tableNames.audit }));

    const writes = Items.map((i) => `${i.pk!.S!.split('#').slice(0, 3).join('#')} ${i.operation!.S} ${i.result!.S}`).sort();
    expect(writes).toEqual([
      'hubspot#hubspot-main#deal update ok',
      'kantata#kantata-global#rate_card create ok',
      'kantata#kantata-global#rate_card_role create ok',
      'kantata#kantata-global#rate_card_role create ok',
      'kantata#kantata-global#rate_card_role create ok',
      'kantata#kantata-global#rate_card_role create ok',
      'kantata#kantata-global#rate_card_set create ok',
      'kantata#kantata-global#rate_card_set_version create ok',
      'kantata#kantata-global#rate_card_set_version create ok',
      'kantata#kantata-global#story create ok',
      'kantata#kantata-global#story create ok',
      'kantata#kantata-global#workspace create ok',
      'kantata#kantata-global#workspace update ok',
      'netsuite#netsuite-us#customer upsert ok',
      'netsuite#netsuite-us#job upsert ok',
    ]);
    for (const item of Items) {
      expect(item.payloadSha256?.S).toMatch(/^[0-9a-f]{64}$/);
      expect(item.execution?.S).toBe(`hubspot-main-${dealId}-r1`);
      expect(JSON.stringify(item)).not.toContain('Globex');
    }
  });

  it('makes nothing more when the same webhook arrives five times, concurrently and in sequence', async () => {
    const before = counts();
    const won = env.hubspot.deliveries.findIndex((d) => d.body.includes('"propertyValue":"closedwon"') && d.body.includes(String(dealId)));

    const concurrent = await Promise.all([1, 2, 3, 4, 5].map(() => env.hubspot.redeliver(won)));
    const sequential: number[] = [];
    for (let i = 0; i < 5; i++) sequential.push(await env.hubspot.redeliver(won));
    await env.settled();

    expect([...concurrent, ...sequential].every((s) => s === 200)).toBe(true);
    expect(counts()).toEqual(before);
  });

  it('makes nothing more when the bus archive is replayed', async () => {
    const before = counts();
    const client = new EventBridgeClient({
      endpoint: env.stack.endpoints.eventbridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });

    await client.send(
      new StartReplayCommand({
        ReplayName: 'after-incident',
        EventSourceArn: 'arn:aws:events:us-east-1:000000000000:archive/canonical-archive',
        EventStartTime: new Date(Date.now() - 3_600_000),
        EventEndTime: new Date(Date.now() + 60_000),
        Destination: { Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/canonical' },
      }),
    );
    await env.settled();

    expect(env.stack.eventBus.archived.get('canonical-archive')!.length).toBeGreaterThan(0);
    expect(counts()).toEqual(before);
  });

  it('routes two legal entities to two NetSuite accounts (token-based auth and OAuth 2)', async () => {
    const canadian = await createDeal({ ps_legal_entity: 'acme-ca', deal_currency_code: 'CAD', amount: '90000' }, 'Initech Canada');

    await closeWin(canadian);

    expect(env.netsuite.ca.records('customer')).toEqual([expect.objectContaining({ companyName: 'Initech Canada' })]);
    expect(env.netsuite.us.records('customer').map((c) => c.companyName)).not.toContain('Initech Canada');
    expect(env.hubspot.object('deals', canadian)?.properties.ps_erp_customer_id).toBe(env.netsuite.ca.records('customer')[0]!.id);
  });

  it('marks a deal with missing commercial fields as needing attention, with the reason, and creates nothing', async () => {
    const before = counts();
    const incomplete = await createDeal({ ps_tax_profile: '', ps_payment_terms: '' }, 'Umbrella Corp');

    await closeWin(incomplete);

    expect(counts()).toEqual({ ...before, executions: before.executions + 1 });
    expect(env.hubspot.object('deals', incomplete)?.properties).toMatchObject({
      ps_sync_status: 'needs-attention',
      ps_sync_message: expect.stringContaining('ps_tax_profile: the deal names no tax profile'),
    });
  });

  it('marks a deal whose rate card names a role the PSA lacks as needing attention, with the role, and makes no PSA project', async () => {
    const before = counts();
    const deal = await createDeal({}, 'Soylent Corp', [{ name: 'Astronaut', price: '990', ps_line_type: 'rate', ps_effective_from: '2026-12-01' }]);

    await closeWin(deal);

    expect({ workspaces: counts().workspaces, rateCardSets: counts().rateCardSets }).toEqual({
      workspaces: before.workspaces,
      rateCardSets: before.rateCardSets,
    });
    expect(env.hubspot.object('deals', deal)?.properties).toMatchObject({
      ps_sync_status: 'needs-attention',
      ps_sync_message: expect.stringContaining('Kantata has no role named "Astronaut"'),
    });
  });

  it('runs the deal again under a new execution name once the data is fixed and the revision bumped, and closes the exception', async () => {
    const fixing = await createDeal({ ps_tax_profile: '' }, 'Wayne Enterprises');
    await closeWin(fixing);
    expect(env.hubspot.object('deals', fixing)?.properties.ps_sync_status).toBe('needs-attention');
    const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const exceptionItems = async () =>
      ((await client.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? [])
        .filter((i) => i.pk?.S?.endsWith(`:${fixing}`))
        .map((i) => i.sk!.S!.split('#')[0]);
    expect(await exceptionItems()).toEqual(['OPEN']);

    await fetch(`${env.hubspot.url}/__sandbox/deals/${fixing}/set`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ps_tax_profile: 'US-EXEMPT', ps_sync_revision: '2' }),
    });
    await env.settled();

    expect(env.stack.stepFunctions.executions.filter((e) => e.name.includes(fixing)).map((e) => [e.name, e.status])).toEqual([
      [`hubspot-main-${fixing}-r1`, 'FAILED'],
      [`hubspot-main-${fixing}-r2`, 'SUCCEEDED'],
    ]);
    expect(env.hubspot.object('deals', fixing)?.properties.ps_sync_status).toBe('synced');
    expect(await exceptionItems()).toEqual(['RESOLVED']);
  });

  it('does nothing for a flow switched off for the business unit', async () => {
    const before = counts();
    const research = await createDeal({ ps_legal_entity: 'acme-ca', ps_business_unit: 'research', deal_currency_code: 'CAD' }, 'Hooli Research');

    await closeWin(research);

    expect(counts()).toEqual({ ...before, executions: before.executions + 1 });
    expect(env.hubspot.object('deals', research)?.properties.ps_sync_status).toBeUndefined();
  });

  it('slows down but loses and duplicates nothing when NetSuite answers 429 above its concurrency limit', async () => {
    const before = counts();
    env.netsuite.us.injectFault({
      method: 'PUT',
      pathPrefix: '/services/rest/record/v1/customer',
      times: 2,
      response: {
        status: 429,
        json: {
          type: 'x',
          title: 'Too Many Requests',
          status: 429,
          'o:errorDetails': [{ detail: 'Concurrent request limit exceeded.', 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }],
        },
      },
    });
    const throttled = await createDeal({}, 'Stark Industries');

    await closeWin(throttled);

    expect(counts()).toEqual({
      customers: before.customers + 1,
      jobs: before.jobs + 1,
      workspaces: before.workspaces + 1,
      rateCardSets: before.rateCardSets + 1,
      executions: before.executions + 1,
    });
    expect(env.netsuite.us.requests.filter((r) => r.method === 'PUT' && r.path.includes('/customer/') && r.status === 429)).toHaveLength(2);
    expect(env.hubspot.object('deals', throttled)?.properties.ps_sync_status).toBe('synced');
  });
});

describe('bad input at the local webhook API', () => {
  const secret = 'local-hubspot-client-secret';
  // Signed as HubSpot signs: over the public URL the function is configured with; sent to the local API.
  const url = () => `${env.stack.webhookBaseUrl}webhooks/hubspot/hubspot-main`;
  const localUrl = () => `${env.stack.apiUrl}webhooks/hubspot/hubspot-main`;
  const event = (overrides: Record<string, unknown> = {}) => ({
    eventId: 9,
    subscriptionId: 1001,
    portalId: 62515,
    occurredAt: Date.now(),
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 1,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    ...overrides,
  });
  const post = (body: string, options: { secret?: string; timestamp?: number } = {}) => {
    const timestamp = String(options.timestamp ?? Date.now());
    const signature = createHmac('sha256', options.secret ?? secret)
      .update(`POST${url()}${body}${timestamp}`)
      .digest('base64');
    return fetch(localUrl(), { method: 'POST', headers: { ...json, 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp }, body });
  };

  it.each([
    ['a wrong signature', () => post(JSON.stringify([event()]), { secret: 'wrong' }), 401],
    ['a stale timestamp', () => post(JSON.stringify([event()]), { timestamp: Date.now() - 10 * 60_000 }), 401],
    ['malformed JSON', () => post('[{"eventId":'), 400],
    ['a body over the limit', () => post(JSON.stringify([event({ propertyValue: 'x'.repeat(300_000) })])), 413],
    ['a schema violation', () => post(JSON.stringify([event({ objectId: 'one' })])), 422],
    // An unhandled event type is answered 200 and recorded: see hubspot-generic-events.test.ts.
  ])('answers %s with a clear 4xx and changes nothing', async (_name, send, status) => {
    const before = { ...counts(), hubspotReads: env.hubspot.requests.length };

    const response = await send();
    await env.settled();

    expect(response.status).toBe(status);
    expect((await response.json()) as { detail: string }).toMatchObject({ detail: expect.any(String) });
    expect({ ...counts(), hubspotReads: env.hubspot.requests.length }).toEqual(before);
  });
});
