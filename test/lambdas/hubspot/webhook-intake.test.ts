import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
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

function request(body: string, options: { secret?: string; timestamp?: number; instance?: string; contentType?: string } = {}): APIGatewayProxyEvent {
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
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: '/webhooks/hubspot/{instance}',
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

function fakes(overrides: Partial<WebhookIntakeDependencies> = {}) {
  const enqueued: QueuedDealEvent[] = [];
  const exceptions: string[] = [];
  const deps: WebhookIntakeDependencies = {
    nowMs: () => now,
    maxBodyBytes: 4096,
    publicBaseUrl: base,
    isHubSpotInstance: (i) => i === 'hubspot-main',
    clientSecrets: async () => [secret],
    enqueue: async (events) => void enqueued.push(...events),
    recordRejectedEvent: async (_i, r) => void exceptions.push(r.reason),
    newCorrelationId: () => 'corr-1',
    ...overrides,
  };
  return { deps, enqueued, exceptions };
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
    ['an unknown event type', request(JSON.stringify([dealEvent({ subscriptionType: 'contact.deletion' })])), 422, /does not handle/],
    ['a schema violation', request(JSON.stringify([dealEvent({ objectId: 'abc' })])), 422, /objectId/],
    // As a wrong signature: the answer does not say whether the instance exists.
    ['an unknown instance', request(JSON.stringify([dealEvent()]), { instance: 'hubspot-other' }), 401, /signature does not match/],
    ['a signed body that is not JSON by its content type', request(JSON.stringify([dealEvent()]), { contentType: 'text/plain' }), 415, /application\/json/],
  ])('refuses %s with a clear 4xx and changes nothing', async (_name, event, status, detail) => {
    const { deps, enqueued, exceptions } = fakes();

    const response = await receiveHubSpotWebhook(event, deps);

    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).detail).toMatch(detail);
    expect(enqueued).toEqual([]);
    expect(exceptions).toEqual([]);
  });

  it('records a bad event of a valid batch as an exception and lets the others through', async () => {
    const { deps, enqueued, exceptions } = fakes();
    const body = JSON.stringify([dealEvent(), dealEvent({ occurredAt: 'yesterday' }), dealEvent({ eventId: 102 })]);

    const response = await receiveHubSpotWebhook(request(body), deps);

    expect(response.statusCode).toBe(200);
    expect(enqueued).toHaveLength(2);
    expect(exceptions).toEqual([expect.stringContaining('event 1 violates the HubSpot event schema: occurredAt')]);
  });

  it('answers 503 when the events cannot be stored, so HubSpot retries, and records nothing', async () => {
    const { deps, exceptions } = fakes({
      enqueue: async () => {
        throw new Error('SQS unavailable');
      },
    });

    const response = await receiveHubSpotWebhook(request(JSON.stringify([dealEvent(), dealEvent({ subscriptionType: 'x.y' })])), deps);

    expect(response.statusCode).toBe(503);
    expect(exceptions).toEqual([]);
  });
});
