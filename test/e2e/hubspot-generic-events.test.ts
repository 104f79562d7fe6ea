import { createHmac } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// End to end: a HubSpot app on the current developer platform, whose subscriptions send the generic
// object.* event types with an objectTypeId, entering only through the local webhook API.
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
  env.hubspot.setEventStyle('generic');
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };

/** Posts a body to the local API, signed as HubSpot signs it: over the public URL the function is configured with. */
function post(body: string, query = ''): Promise<Response> {
  const timestamp = String(Date.now());
  const signature = createHmac('sha256', LOCAL_CREDENTIALS.hubspot.clientSecret)
    .update(`POST${env.stack.webhookBaseUrl}webhooks/hubspot/hubspot-main${query}${body}${timestamp}`)
    .digest('base64');
  return fetch(`${env.stack.apiUrl}webhooks/hubspot/hubspot-main${query}`, {
    method: 'POST',
    headers: { ...json, 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp },
    body,
  });
}

async function openExceptions(): Promise<Record<string, number>> {
  const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  const { Items = [] } = await client.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }));
  return Object.fromEntries(Items.filter((i) => i.sk?.S === 'OPEN').map((i) => [i.pk!.S!, Number(i.occurrences?.N ?? 0)]));
}

describe('generic HubSpot event types on the local stack', () => {
  let dealId: string;

  it('wins a deal through a generic object.propertyChange batch: one execution, the ids on the deal', async () => {
    dealId = await createHubSpotDeal(env.hubspot.url, { company: 'Initrode' });

    await fetch(`${env.hubspot.url}/__sandbox/deals/${dealId}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
    await env.settled();

    const delivered = JSON.parse(env.hubspot.deliveries.find((d) => d.body.includes('"propertyValue":"closedwon"'))!.body) as unknown[];
    expect(delivered).toEqual([expect.objectContaining({ subscriptionType: 'object.propertyChange', objectTypeId: '0-3', objectId: Number(dealId) })]);
    expect(env.stack.stepFunctions.executions.map((e) => [e.name, e.status])).toEqual([[`hubspot-main-${dealId}-r1`, 'SUCCEEDED']]);
    expect(env.hubspot.object('deals', dealId)?.properties).toMatchObject({
      ps_erp_customer_id: env.netsuite.us.records('customer')[0]!.id,
      ps_sync_status: 'synced',
    });
  });

  it('makes nothing more when the generic batch is delivered again', async () => {
    const won = env.hubspot.deliveries.findIndex((d) => d.body.includes('"propertyValue":"closedwon"'));

    expect(await env.hubspot.redeliver(won)).toBe(200);
    await env.settled();

    expect(env.stack.stepFunctions.executions).toHaveLength(1);
    expect(env.netsuite.us.records('customer')).toHaveLength(1);
  });

  it('answers 200 to events of an unhandled object type, reads nothing, and counts them in one exception per type and objectTypeId', async () => {
    const contactChange = (eventId: number) => ({
      eventId,
      subscriptionId: 1002,
      portalId: 62515,
      occurredAt: Date.now(),
      subscriptionType: 'object.propertyChange',
      objectTypeId: '0-1',
      attemptNumber: 0,
      objectId: 51,
      propertyName: 'email',
      propertyValue: 'a@example.com',
    });
    const reads = env.hubspot.requests.length;

    const answers = [await post(JSON.stringify([contactChange(1), contactChange(2)])), await post(JSON.stringify([contactChange(3)]))];
    await env.settled();

    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await answers[0]!.json()).toMatchObject({ accepted: 0, rejected: [{ index: 0 }, { index: 1 }] });
    expect(env.hubspot.requests.length).toBe(reads);
    expect(env.stack.stepFunctions.executions).toHaveLength(1);
    expect(await openExceptions()).toMatchObject({
      'EXCEPTION#opportunity-to-project#hubspot-webhook-event#hubspot-main:unhandled:object.propertyChange:0-1': 2,
    });
  });

  it('refuses a request whose URL carries a query string with 400, before anything else', async () => {
    const before = await openExceptions();

    const response = await post('[]', '?portal=62515');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, detail: expect.stringContaining('no query string') });
    expect(await openExceptions()).toEqual(before);
  });
});
