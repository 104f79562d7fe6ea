import { createServer } from 'node:http';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  type BusinessCentralNotification,
  needsRenewal,
  receiveBusinessCentral,
  receiveBusinessCentralWebhook,
  subscriptionPlan,
} from '../../../lambdas/business-central/notification-intake';
import { type BusinessException, DurableExceptionRecorder } from '../../../lambdas/common/exceptions';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { startBusinessCentralSandbox } from '../../../local/sandboxes/business-central/business-central-sandbox';
import { startDynalite } from '../../support/dynalite';

const note = (clientState: string, changeType = 'updated') => ({
  subscriptionId: 'sub-1',
  clientState,
  resource: 'api/v2.0/companies(1)/salesInvoices(42)',
  changeType,
  lastModifiedDateTime: '2026-11-24T10:00:00Z',
});

describe('receiveBusinessCentral', () => {
  it('answers the validation handshake with the token as plain text and 200', () => {
    const result = receiveBusinessCentral({ query: { validationToken: 'abc-123' }, body: null }, ['s3cret']);

    expect(result).toEqual({ kind: 'handshake', response: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'abc-123' } });
  });

  it('accepts notifications with our clientState, including a collection notification', () => {
    const result = receiveBusinessCentral({ query: {}, body: JSON.stringify({ value: [note('s3cret'), note('s3cret', 'collection')] }) }, ['old', 's3cret']);

    expect(result.kind === 'notifications' && result.accepted.map((n) => n.changeType)).toEqual(['updated', 'collection']);
  });

  it('answers 200 to a wrong clientState, accepts nothing from it and reports why, so BC keeps the subscription', () => {
    const result = receiveBusinessCentral({ query: {}, body: JSON.stringify({ value: [note('forged'), note('s3cret')] }) }, ['s3cret']);

    expect(result.kind).toBe('notifications');
    expect(result.response.statusCode).toBe(200);
    expect(result.kind === 'notifications' && result.accepted).toHaveLength(1);
    expect(result.kind === 'notifications' && result.rejected).toEqual([
      { kind: 'foreign-client-state', reason: 'notification 0 has a clientState that is not ours', resource: note('x').resource },
    ]);
  });

  it('answers 200 to a malformed body, JSON null included, and records the rejection', () => {
    const result = receiveBusinessCentral({ query: {}, body: '{"value": [' }, ['s3cret']);
    const nothing = receiveBusinessCentral({ query: {}, body: 'null' }, ['s3cret']);

    expect([result.response.statusCode, nothing.response.statusCode]).toEqual([200, 200]);
    expect(result.kind === 'notifications' && result.rejected[0]).toMatchObject({ kind: 'malformed-body', reason: expect.stringMatching(/not JSON/) });
    expect(nothing.kind === 'notifications' && nothing.rejected[0]).toMatchObject({ kind: 'malformed-body', reason: expect.stringMatching(/no value\[\]/) });
  });
});

describe('receiveBusinessCentralWebhook', () => {
  const setup = (options: { enqueueFails?: boolean; record?: (exception: BusinessException) => Promise<void> } = {}) => {
    const enqueued: [string, readonly BusinessCentralNotification[]][] = [];
    const exceptions: BusinessException[] = [];
    const deps = {
      maxBodyBytes: 2048,
      correlationId: 'corr-1',
      isBusinessCentralInstance: (id: string) => id === 'bc-uk',
      clientStates: async () => ['s3cret', 'previous'],
      enqueue: async (instance: string, notifications: readonly BusinessCentralNotification[]) => {
        if (options.enqueueFails) throw new Error('SQS unavailable');
        enqueued.push([instance, notifications]);
      },
      recordRejection: options.record ?? (async (exception: BusinessException) => void exceptions.push(exception)),
    };
    const post = (instance: string, body: string | null, query: Record<string, string> | null = null) =>
      receiveBusinessCentralWebhook({ pathParameters: { instance }, queryStringParameters: query, body, isBase64Encoded: false }, deps);
    const rejections = () => exceptions.map((e) => [e.entityId, e.reason]);
    return { enqueued, exceptions, rejections, post };
  };
  const problem = (response: { statusCode: number; headers: Record<string, string>; body: string }) => ({
    statusCode: response.statusCode,
    contentType: response.headers['content-type'],
    body: JSON.parse(response.body) as unknown,
  });

  it('answers the handshake for a configured instance only, and refuses the others as problem+json, recorded', async () => {
    const s = setup();

    expect(await s.post('bc-uk', null, { validationToken: 'tok-1' })).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'tok-1',
    });
    expect(problem(await s.post('someone-else', null, { validationToken: 'tok-1' }))).toEqual({
      statusCode: 404,
      contentType: 'application/problem+json',
      body: { type: 'about:blank', title: 'Not Found', status: 404, detail: expect.any(String), correlationId: 'corr-1' },
    });
    expect(problem(await s.post('bc-uk', null, { validationToken: 'x'.repeat(2000) }))).toEqual({
      statusCode: 400,
      contentType: 'application/problem+json',
      body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: expect.stringMatching(/longer than 1024/), correlationId: 'corr-1' },
    });
    expect(s.enqueued).toEqual([]);
    expect(s.rejections()).toEqual([
      ['unknown:handshake-refused', expect.stringMatching(/handshake for "someone-else", which is not a configured/)],
      ['bc-uk:handshake-refused', expect.stringMatching(/token of 2000 characters/)],
    ]);
  });

  it('enqueues notifications with our clientState, the rotated one too, and records the forged one while answering 200', async () => {
    const s = setup();

    const response = await s.post('bc-uk', JSON.stringify({ value: [note('s3cret'), note('forged'), note('previous')] }));

    expect(response.statusCode).toBe(200);
    expect(s.enqueued.map(([instance, n]) => [instance, n.length])).toEqual([['bc-uk', 2]]);
    expect(s.rejections()).toEqual([['bc-uk:foreign-client-state', 'notification 1 has a clientState that is not ours']]);
    expect(s.exceptions[0]).toMatchObject({
      workflow: 'invoice-payment-status',
      entityType: 'business-central-notification',
      correlationId: 'corr-1',
      source: { vendor: 'business-central', instance: 'bc-uk' },
      remediation: expect.stringContaining('Business Central keeps the subscription'),
    });
  });

  it('answers 200 (JSON, not a problem: BC would drop the subscription) to an oversized body, malformed JSON and an unknown instance, records each and enqueues nothing', async () => {
    const s = setup();

    const answers = [
      await s.post('bc-uk', JSON.stringify({ value: Array.from({ length: 40 }, () => note('s3cret')) })),
      await s.post('bc-uk', '{"value": ['),
      await s.post('nobody', JSON.stringify({ value: [note('s3cret')] })),
    ];

    expect(answers.map((a) => [a.statusCode, a.headers['content-type']])).toEqual([
      [200, 'application/json'],
      [200, 'application/json'],
      [200, 'application/json'],
    ]);
    expect(s.enqueued).toEqual([]);
    expect(s.rejections()).toEqual([
      ['bc-uk:oversized-body', expect.stringMatching(/more than 2048 bytes/)],
      ['bc-uk:malformed-body', expect.stringMatching(/not JSON/)],
      ['unknown:unknown-instance', expect.stringMatching(/"nobody", which is not a configured Business Central instance/)],
    ]);
  });

  it('records a request full of forged notifications once, with how many there were', async () => {
    const s = setup();

    await s.post('bc-uk', JSON.stringify({ value: Array.from({ length: 5 }, () => note('forged')) }));

    expect(s.rejections()).toEqual([['bc-uk:foreign-client-state', 'notification 0 has a clientState that is not ours (and 4 more like it in this request)']]);
  });

  it('keeps one exception item, counted, for requests to 100 made-up instance names, and announces it once', async () => {
    const db = await startDynalite('exceptions', TABLE_KEYS.exceptions);
    const announcements: unknown[] = [];
    const sqs = { send: async (command: unknown) => void announcements.push(command) } as unknown as SQSClient;
    const recorder = new DurableExceptionRecorder(db.documents, 'exceptions', sqs, 'https://sqs.local/announcements', () => 'finance');
    try {
      let clock = Date.parse('2026-12-01T00:00:00Z');
      const s = setup({
        record: async (exception) => {
          clock += 1000;
          await recorder.record(exception, new Date(clock));
        },
      });

      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) statuses.push((await s.post(`made-up-${i}`, JSON.stringify({ value: [note('s3cret')] }))).statusCode);
      // A flood arrives at once: the single item takes every count atomically.
      const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => s.post(`burst-${i}`, JSON.stringify({ value: [note('s3cret')] }))));

      expect(new Set([...statuses, ...burst.map((a) => a.statusCode)])).toEqual(new Set([200]));
      const { Items } = await db.documents.send(new ScanCommand({ TableName: 'exceptions' }));
      expect(Items).toHaveLength(1);
      expect(Items![0]).toMatchObject({
        pk: 'EXCEPTION#invoice-payment-status#business-central-notification#unknown:unknown-instance',
        sk: 'OPEN',
        sourceInstance: 'unknown',
        firstSeenAt: '2026-12-01T00:00:01.000Z',
        lastSeenAt: expect.any(String),
      });
      expect(Number(Items![0]!.occurrences)).toBe(100);
      expect(Items![0]!.lastSeenAt > Items![0]!.firstSeenAt).toBe(true);
      // Announced by the first of the sequential 50, never again.
      expect(announcements).toHaveLength(1);
      expect(s.enqueued).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('answers 503 as problem+json with Retry-After, which BC retries, when the notifications cannot be enqueued, and records nothing yet', async () => {
    const s = setup({ enqueueFails: true });

    const response = await s.post('bc-uk', JSON.stringify({ value: [note('s3cret'), note('forged')] }));

    expect(s.rejections()).toEqual([]);
    expect(problem(response)).toEqual({
      statusCode: 503,
      contentType: 'application/problem+json',
      body: { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: expect.any(String), correlationId: 'corr-1' },
    });
    expect(response.headers['retry-after']).toBe('30');
  });
});

describe('subscriptionPlan', () => {
  const url = 'https://hooks.example.com/prod/webhooks/business-central/bc-uk';
  const resource = 'companies(11111111-2222-3333-4444-555555555555)/salesInvoices';
  const now = new Date('2026-12-01T00:00:00Z');
  const sub = (id: string, expires: string, notificationUrl = url, res = `api/v2.0/${resource}`) => ({
    subscriptionId: id,
    notificationUrl,
    resource: res,
    expirationDateTime: expires,
  });

  it('creates a missing subscription, renews one within a day of expiry, keeps a fresh one', () => {
    expect(subscriptionPlan([], url, [resource], now)).toEqual([{ kind: 'create', resource }]);
    expect(subscriptionPlan([sub('a', '2026-12-01T20:00:00Z')], url, [resource], now)).toEqual([{ kind: 'renew', subscriptionId: 'a', resource }]);
    expect(subscriptionPlan([sub('a', '2026-12-03T20:00:00Z')], url, [resource], now)).toEqual([
      { kind: 'keep', subscriptionId: 'a', resource, expiresAt: '2026-12-03T20:00:00Z' },
    ]);
  });

  it("recreates an expired subscription and ignores other URLs' subscriptions", () => {
    expect(subscriptionPlan([sub('old', '2026-11-30T00:00:00Z')], url, [resource], now)).toEqual([{ kind: 'create', resource }]);
    expect(subscriptionPlan([sub('theirs', '2026-12-03T00:00:00Z', 'https://other.example.com/hook')], url, [resource], now)).toEqual([
      { kind: 'create', resource },
    ]);
  });
});

describe('needsRenewal', () => {
  it('renews within a day of the three-day expiry, not before', () => {
    const now = new Date('2026-11-24T00:00:00Z');

    expect(needsRenewal(new Date('2026-11-26T00:00:00Z'), now)).toBe(false);
    expect(needsRenewal(new Date('2026-11-25T00:00:00Z'), now)).toBe(true);
  });
});

describe('receiveBusinessCentral against the Business Central sandbox', () => {
  it('keeps the subscription alive when it rejects a notification whose clientState is not ours', async () => {
    const rejected: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
        const result = receiveBusinessCentral({ query, body }, ['the-secret-we-expect']);
        if (result.kind === 'notifications') rejected.push(...result.rejected.map((r) => r.reason));
        res.writeHead(result.response.statusCode, result.response.headers).end(result.response.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const app = { tenantId: 'contoso.onmicrosoft.com', environment: 'Production', clientId: 'app', clientSecret: 'secret' };
    const sandbox = await startBusinessCentralSandbox(app);
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/bc`;
      const token = (
        (await (
          await fetch(sandbox.tokenUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: app.clientId,
              client_secret: app.clientSecret,
              scope: 'https://api.businesscentral.dynamics.com/.default',
            }).toString(),
          })
        ).json()) as { access_token: string }
      ).access_token;
      const customers = `companies(${sandbox.companyId})/customers`;
      const created = await fetch(`${sandbox.apiRoot}/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ notificationUrl: url, resource: customers, clientState: 'a-forged-secret' }),
      });
      expect(created.status).toBe(201);

      const statuses = await sandbox.change(`api/v2.0/${customers}`, 1);

      expect(statuses).toEqual([200]);
      expect(sandbox.subscriptions.size).toBe(1);
      expect(rejected).toEqual(['notification 0 has a clientState that is not ours']);
    } finally {
      await sandbox.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
