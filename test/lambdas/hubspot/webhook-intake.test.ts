import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { BusinessException } from '../../../lambdas/common/exceptions';
import type { QueuedDealEvent } from '../../../lambdas/hubspot/webhook-events';
import { receiveHubSpotWebhook, type WebhookIntakeDependencies } from '../../../lambdas/hubspot/webhook-intake';

const secret = 'client-secret-1';
const now = 1_760_000_000_000;
const base = 'https://hooks.example.com/prod/';

function dealEvent(overrides: Record<string, unknown> = {}) {
  return {
    eventId: 100,
    subscriptionId: 7,
    portalId: 62515,
    appId: 1,
    occurredAt: now - 2000,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 1234,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    changeSource: 'CRM_UI',
    ...overrides,
  };
}

function genericEvent(overrides: Record<string, unknown> = {}) {
  const { subscriptionType: _legacy, ...event } = dealEvent();
  return { ...event, subscriptionType: 'object.propertyChange', objectTypeId: '0-3', ...overrides };
}

function request(
  body: string,
  options: { secret?: string; timestamp?: number; instance?: string; contentType?: string; query?: Record<string, string[]> } = {},
): APIGatewayProxyEvent {
  const path = `/webhooks/hubspot/${options.instance ?? 'hubspot-main'}`;
  const timestamp = String(options.timestamp ?? now);
  const signature = createHmac('sha256', options.secret ?? secret)
    .update(`POST${base.slice(0, -1)}${path}${body}${timestamp}`)
    .digest('base64');
  return {
    httpMethod: 'POST',
    path,
    body,
    isBase64Encoded: false,
    headers: { 'Content-Type': options.contentType ?? 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp },
    multiValueHeaders: {},
    pathParameters: { instance: options.instance ?? 'hubspot-main' },
    queryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, vs]) => [k, vs.at(-1)!])) : null,
    multiValueQueryStringParameters: options.query ?? null,
    stageVariables: null,
    resource: '/webhooks/hubspot/{instance}',
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

function fakes(overrides: Partial<WebhookIntakeDependencies> = {}) {
  const enqueued: QueuedDealEvent[] = [];
  const exceptions: string[] = [];
  const foreign: BusinessException[] = [];
  const unhandled: BusinessException[] = [];
  const deps: WebhookIntakeDependencies = {
    nowMs: () => now,
    maxBodyBytes: 4096,
    publicBaseUrl: base,
    portalIdOf: (i) => (i === 'hubspot-main' ? 62515 : undefined),
    clientSecrets: async () => [secret],
    enqueue: async (events) => void enqueued.push(...events),
    recordRejectedEvent: async (_i, r) => void exceptions.push(r.reason),
    recordForeignPortalEvents: async (e) => void foreign.push(e),
    recordUnhandledEvents: async (e) => void unhandled.push(e),
    newCorrelationId: () => 'corr-1',
    ...overrides,
  };
  return { deps, enqueued, exceptions, foreign, unhandled };
}

describe('receiveHubSpotWebhook', () => {
  it('enqueues every event of a signed batch with its dedup key, then answers 200', async () => {
    const { deps, enqueued } = fakes();
    const body = JSON.stringify([dealEvent(), dealEvent({ eventId: 101, objectId: 999 })]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(enqueued.map((e) => e.dedupKey)).toEqual([`hubspot-main:62515:7:100:1234:${now - 2000}`, `hubspot-main:62515:7:101:999:${now - 2000}`]);
    expect(enqueued[0]).toMatchObject({ instance: 'hubspot-main', correlationId: 'corr-1', event: { propertyValue: 'closedwon' } });
  });

  it.each([
    ['a wrong signature', request(JSON.stringify([dealEvent()]), { secret: 'attacker' }), 401, /signature does not match/],
    ['a stale timestamp', request(JSON.stringify([dealEvent()]), { timestamp: now - 301_000 }), 401, /more than 5 minutes/],
    ['malformed JSON', request('[{"eventId": 1,'), 400, /not valid JSON/],
    ['an object instead of an array', request(JSON.stringify(dealEvent())), 400, /JSON array/],
    ['a body over the limit', request(JSON.stringify(Array.from({ length: 40 }, () => dealEvent()))), 413, /accepts at most 4096/],
    // Before the signature: a query string cannot be verified, and the answer is the same for any instance.
    ['a query string', request(JSON.stringify([dealEvent()]), { query: { a: ['b'] } }), 400, /takes no query string/],
    ['a query string on an unsigned request to an unknown instance', request('[]', { secret: 'x', instance: 'nope', query: { a: ['b'] } }), 400, /query/],
    ['a schema violation', request(JSON.stringify([dealEvent({ objectId: 'abc' })])), 422, /objectId/],
    // As a wrong signature: the answer does not say whether the instance exists.
    ['an unknown instance', request(JSON.stringify([dealEvent()]), { instance: 'hubspot-other' }), 401, /signature does not match/],
    ['a signed body that is not JSON by its content type', request(JSON.stringify([dealEvent()]), { contentType: 'text/plain' }), 415, /application\/json/],
  ])('refuses %s with a clear 4xx as problem+json and changes nothing', async (_name, event, status, detail) => {
    const { deps, enqueued, exceptions, foreign, unhandled } = fakes();

    const response = await receiveHubSpotWebhook(event, deps);

    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'x-correlation-id': 'corr-1' });
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: expect.any(String),
      status,
      detail: expect.stringMatching(detail),
      correlationId: 'corr-1',
    });
    expect(enqueued).toEqual([]);
    expect(exceptions).toEqual([]);
    expect(foreign).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('records a bad event of a valid batch as an exception and lets the others through', async () => {
    const { deps, enqueued, exceptions } = fakes();
    const body = JSON.stringify([dealEvent(), dealEvent({ occurredAt: 'yesterday' }), dealEvent({ eventId: 102 })]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(enqueued).toHaveLength(2);
    expect(exceptions).toEqual([expect.stringContaining('event 1 violates the HubSpot event schema: occurredAt')]);
  });

  it("refuses an event of another portal, records it once and never enqueues it, while the batch's other events proceed with 200", async () => {
    const { deps, enqueued, exceptions, foreign } = fakes();
    const body = JSON.stringify([dealEvent(), dealEvent({ eventId: 101, portalId: 99, objectId: 555 }), dealEvent({ eventId: 102, objectId: 999 })]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(enqueued.map((e) => [e.event.portalId, e.event.eventId])).toEqual([
      [62515, 100],
      [62515, 102],
    ]);
    expect(JSON.parse(response.body)).toMatchObject({
      accepted: 2,
      rejected: [{ index: 1, reason: expect.stringMatching(/portal 99, not of this instance's portal 62515/) }],
    });
    expect(exceptions).toEqual([]);
    expect(foreign).toEqual([
      {
        workflow: 'opportunity-to-project',
        entityType: 'hubspot-webhook-event',
        entityId: 'hubspot-main:foreign-portal',
        reason: '1 event(s) of HubSpot portal 99 arrived for hubspot-main, whose portalId is 62515; refused, not processed',
        remediation: expect.stringContaining('portalId in the deployment configuration is wrong'),
        correlationId: 'corr-1',
        source: { vendor: 'hubspot', instance: 'hubspot-main' },
      },
    ]);
  });

  it('answers 200 to a batch of other portals only, so HubSpot does not send it again, and records it as one exception per instance', async () => {
    const { deps, enqueued, exceptions, foreign } = fakes();
    // An unhandled type of another portal is that portal's business, not an exception on a deal of ours.
    const first = JSON.stringify([
      dealEvent({ portalId: 99 }),
      dealEvent({ portalId: 100, eventId: 101 }),
      dealEvent({ portalId: 99, subscriptionType: 'contact.creation' }),
    ]);
    const second = JSON.stringify([dealEvent({ portalId: 7, eventId: 300, objectId: 42 })]);

    const answers = [await receiveHubSpotWebhook(request(first), deps), await receiveHubSpotWebhook(request(second), deps)];

    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    expect(enqueued).toEqual([]);
    expect(exceptions).toEqual([]);
    expect(foreign.map((e) => e.entityId)).toEqual(['hubspot-main:foreign-portal', 'hubspot-main:foreign-portal']);
    expect(foreign[0]!.reason).toMatch(/^3 event\(s\) of HubSpot portal 99, 100 arrived/);
  });

  it('enqueues generic object.propertyChange and object.creation events of deals (0-3) as the legacy deal events, with the same dedup key', async () => {
    const { deps, enqueued, unhandled } = fakes();
    const body = JSON.stringify([
      genericEvent(),
      genericEvent({ eventId: 101, subscriptionType: 'object.creation', propertyName: undefined, propertyValue: undefined }),
    ]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 2, rejected: [] });
    expect(enqueued.map((e) => e.dedupKey)).toEqual([`hubspot-main:62515:7:100:1234:${now - 2000}`, `hubspot-main:62515:7:101:1234:${now - 2000}`]);
    expect(enqueued[0]!.event).toMatchObject({
      subscriptionType: 'object.propertyChange',
      objectTypeId: '0-3',
      propertyName: 'dealstage',
      propertyValue: 'closedwon',
    });
    expect(unhandled).toEqual([]);
  });

  it('answers 200 to events of an unhandled type or object type, lists them as refused and records one exception per type and objectTypeId', async () => {
    const { deps, enqueued, exceptions, unhandled } = fakes();
    const body = JSON.stringify([
      genericEvent({ objectTypeId: '0-1', propertyName: 'email' }),
      dealEvent({ eventId: 101, subscriptionType: 'deal.deletion' }),
      genericEvent({ eventId: 102, objectTypeId: '0-1', objectId: 77 }),
      genericEvent({ eventId: 103, subscriptionType: 'object.deletion' }),
      // A generic type without its objectTypeId names no object we could act on.
      genericEvent({ eventId: 104, objectTypeId: undefined }),
    ]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      accepted: 0,
      rejected: [
        { index: 0, reason: expect.stringMatching(/object\.propertyChange of object type 0-1, which this integration does not handle/) },
        { index: 1, reason: expect.stringMatching(/deal\.deletion/) },
        { index: 2 },
        { index: 3 },
        { index: 4 },
      ],
    });
    expect(enqueued).toEqual([]);
    expect(exceptions).toEqual([]);
    expect(unhandled.map((e) => [e.entityType, e.entityId])).toEqual([
      ['hubspot-webhook-event', 'hubspot-main:unhandled:object.propertyChange:0-1'],
      ['hubspot-webhook-event', 'hubspot-main:unhandled:deal.deletion:-'],
      ['hubspot-webhook-event', 'hubspot-main:unhandled:object.deletion:0-3'],
      ['hubspot-webhook-event', 'hubspot-main:unhandled:object.propertyChange:-'],
    ]);
    expect(unhandled[0]).toMatchObject({
      workflow: 'opportunity-to-project',
      reason: expect.stringMatching(/^2 event\(s\) of subscription type object\.propertyChange of object type 0-1 arrived for hubspot-main/),
      remediation: expect.stringContaining('Remove that subscription'),
      correlationId: 'corr-1',
      source: { vendor: 'hubspot', instance: 'hubspot-main' },
    });
  });

  it("lets a batch's deal events through beside an unhandled one, which is recorded after they are stored", async () => {
    const order: string[] = [];
    const { deps, unhandled } = fakes({
      enqueue: async () => void order.push('enqueue'),
      recordUnhandledEvents: async () => void order.push('record'),
    });

    const response = await receiveHubSpotWebhook(request(JSON.stringify([genericEvent({ objectTypeId: '0-2' }), dealEvent({ eventId: 5 })])), deps);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 1, rejected: [{ index: 0 }] });
    expect(order).toEqual(['enqueue', 'record']);
    expect(unhandled).toEqual([]);
  });

  it('answers 503 when the events cannot be stored, so HubSpot retries, and records nothing', async () => {
    const { deps, exceptions, foreign, unhandled } = fakes({
      enqueue: async () => {
        throw new Error('SQS unavailable');
      },
    });

    const response = await receiveHubSpotWebhook(
      request(JSON.stringify([dealEvent(), dealEvent({ subscriptionType: 'x.y' }), dealEvent({ portalId: 99 })])),
      deps,
    );

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(exceptions).toEqual([]);
    expect(foreign).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});
