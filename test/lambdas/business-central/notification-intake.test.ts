import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { needsRenewal, receiveBusinessCentral } from '../../../lambdas/business-central/notification-intake';
import { startBusinessCentralSandbox } from '../../../local/sandboxes/business-central/business-central-sandbox';

const note = (clientState: string, changeType = 'updated') => ({
  subscriptionId: 'sub-1',
  clientState,
  resource: "api/v2.0/companies(1)/salesInvoices(42)",
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
    expect(result.kind === 'notifications' && result.rejected).toEqual([{ reason: 'notification 0 has a clientState that is not ours', resource: note('x').resource }]);
  });

  it('answers 200 to a malformed body and records the rejection', () => {
    const result = receiveBusinessCentral({ query: {}, body: '{"value": [' }, ['s3cret']);

    expect(result.response.statusCode).toBe(200);
    expect(result.kind === 'notifications' && result.rejected[0]?.reason).toMatch(/not JSON/);
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
    const sandbox = await startBusinessCentralSandbox();
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/bc`;
      await fetch(`${sandbox.url}/api/v2.0/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notificationUrl: url, resource: 'api/v2.0/companies(1)/customers', clientState: 'a-forged-secret' }) });

      const statuses = await sandbox.change('api/v2.0/companies(1)/customers', 1);

      expect(statuses).toEqual([200]);
      expect(sandbox.subscriptions.size).toBe(1);
      expect(rejected).toEqual(['notification 0 has a clientState that is not ours']);
    } finally {
      await sandbox.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
