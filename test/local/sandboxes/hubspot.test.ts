import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HubSpotSandbox, startHubSpotSandbox } from '../../../local/sandboxes/hubspot/hubspot-sandbox';

// Conformance with docs/vendors/hubspot.md (HubSpot), by plain fetch; signatures are recomputed here from the docs.
let sandbox: HubSpotSandbox;
let receiver: Server | undefined;
afterEach(async () => {
  await sandbox?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  receiver = undefined;
});

const auth = { authorization: 'Bearer pat-1', 'content-type': 'application/json' };

async function startReceiver(status: () => number): Promise<{ url: string; received: { headers: Record<string, string>; body: string }[] }> {
  const received: { headers: Record<string, string>; body: string }[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}/hook`, received };
}

/** A person creates a deal in the sandbox's UI and later wins it; resolves once its webhooks are sent. */
async function winDeal(): Promise<string> {
  const { id } = (await (
    await fetch(`${sandbox.url}/__sandbox/deals`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ deal: { dealname: 'D', dealstage: 'contractsent' } }),
    })
  ).json()) as { id: string };
  await fetch(`${sandbox.url}/__sandbox/deals/${id}/set`, { method: 'POST', headers: auth, body: JSON.stringify({ dealstage: 'closedwon' }) });
  await sandbox.settled();
  return id;
}
describe('HubSpot sandbox', () => {
  it('returns deal properties as strings and applies a PATCH of a defined property', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    const created = (await (
      await fetch(`${sandbox.url}/crm/v3/objects/deals`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ properties: { dealname: 'D', amount: '100' } }),
      })
    ).json()) as { id: string };

    const patched = await fetch(`${sandbox.url}/crm/v3/objects/deals/${created.id}`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ properties: { amount: '250' } }),
    });
    const read = (await (await fetch(`${sandbox.url}/crm/v3/objects/deals/${created.id}?properties=amount,dealname`, { headers: auth })).json()) as {
      properties: Record<string, unknown>;
    };

    expect(patched.status).toBe(200);
    expect(read.properties).toEqual({ amount: '250', dealname: 'D' });
  });

  it('refuses an undefined custom property with VALIDATION_ERROR until it is created', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    const { id } = (await (
      await fetch(`${sandbox.url}/crm/v3/objects/deals`, { method: 'POST', headers: auth, body: JSON.stringify({ properties: { dealname: 'D' } }) })
    ).json()) as { id: string };
    const patch = () =>
      fetch(`${sandbox.url}/crm/v3/objects/deals/${id}`, {
        method: 'PATCH',
        headers: auth,
        body: JSON.stringify({ properties: { ps_sync_status: 'synced' } }),
      });

    const refused = await patch();
    await fetch(`${sandbox.url}/crm/v3/properties/deals`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'ps_sync_status', label: 'Sync status', type: 'string', fieldType: 'text', groupName: 'dealinformation' }),
    });

    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) });
    expect((await patch()).status).toBe(200);
  });

  it('answers 401 and 404 with HubSpot error objects', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });

    const unauthorized = await fetch(`${sandbox.url}/crm/v3/objects/deals/1`, { headers: { authorization: 'Bearer nope' } });
    const missing = await fetch(`${sandbox.url}/crm/v3/objects/deals/1`, { headers: auth });

    expect([unauthorized.status, missing.status]).toEqual([401, 404]);
    expect(await unauthorized.json()).toMatchObject({ category: 'INVALID_AUTHENTICATION' });
    expect(await missing.json()).toMatchObject({ category: 'OBJECT_NOT_FOUND' });
  });

  it('answers 429 with the rolling policy and rate-limit headers past the burst limit', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'], burstLimit: 3 });

    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${sandbox.url}/crm/v3/pipelines/deals`, { headers: auth });
      statuses.push(last.status);
    }

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(await last!.json()).toMatchObject({ category: 'RATE_LIMITS', policyName: 'TEN_SECONDLY_ROLLING' });
  });

  it('delivers a deal change as a signed v3 JSON array that the receiver can verify independently', async () => {
    const target = await startReceiver(() => 200);
    sandbox = await startHubSpotSandbox({ portalId: 62515, clientSecret: 'app-secret', accessTokens: ['pat-1'], webhookTargetUrl: target.url });
    const id = await winDeal();

    const [delivery] = target.received;
    const timestamp = delivery!.headers['x-hubspot-request-timestamp']!;
    const expected = createHmac('sha256', 'app-secret').update(`POST${target.url}${delivery!.body}${timestamp}`).digest('base64');
    expect(delivery!.headers['x-hubspot-signature-v3']).toBe(expected);
    expect(JSON.parse(delivery!.body)).toEqual([
      expect.objectContaining({
        portalId: 62515,
        subscriptionType: 'deal.propertyChange',
        objectId: Number(id),
        propertyName: 'dealstage',
        propertyValue: 'closedwon',
        attemptNumber: 0,
      }),
    ]);
  });

  it('delivers generic object.propertyChange events with objectTypeId 0-3 when the app subscribes in the generic style', async () => {
    const target = await startReceiver(() => 200);
    sandbox = await startHubSpotSandbox({ portalId: 62515, clientSecret: 'app-secret', accessTokens: ['pat-1'], webhookTargetUrl: target.url });
    sandbox.setEventStyle('generic');
    const id = await winDeal();

    expect(JSON.parse(target.received[0]!.body)).toEqual([
      expect.objectContaining({ subscriptionType: 'object.propertyChange', objectTypeId: '0-3', objectId: Number(id), propertyName: 'dealstage' }),
    ]);
  });

  it('retries a 500 with increasing attemptNumber, and never a 400', async () => {
    let answer = 500;
    const target = await startReceiver(() => answer);
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'], webhookTargetUrl: target.url, maxDeliveryAttempts: 3 });
    const { id } = (await (
      await fetch(`${sandbox.url}/__sandbox/deals`, { method: 'POST', headers: auth, body: JSON.stringify({ deal: { dealname: 'D' } }) })
    ).json()) as { id: string };

    await fetch(`${sandbox.url}/__sandbox/deals/${id}/set`, { method: 'POST', headers: auth, body: JSON.stringify({ dealstage: 'closedwon' }) });
    await sandbox.settled();
    answer = 400;
    await fetch(`${sandbox.url}/__sandbox/deals/${id}/set`, { method: 'POST', headers: auth, body: JSON.stringify({ dealstage: 'closedlost' }) });
    await sandbox.settled();

    expect(target.received.map((r) => (JSON.parse(r.body) as { attemptNumber: number }[])[0]!.attemptNumber)).toEqual([0, 1, 2, 0]);
  });
});

describe('HubSpot sandbox OAuth token endpoint (refresh-token grant, 2026-03 API)', () => {
  const tokenUrl = () => `${sandbox.url}/oauth/2026-03/token`;
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const grant = { grant_type: 'refresh_token', client_id: 'app-1', client_secret: 'app-secret', refresh_token: 'rt-1' };
  const start = (lifetime = 1800) =>
    startHubSpotSandbox({
      portalId: 1,
      clientSecret: 'app-secret',
      accessTokens: ['pat-1'],
      oauth: { clientId: 'app-1', refreshTokens: ['rt-1'], accessTokenLifetimeSeconds: lifetime },
    });

  it('exchanges a registered refresh token for a bearer access token that works until it expires, then answers EXPIRED_AUTHENTICATION', async () => {
    sandbox = await start(1);

    const response = await fetch(tokenUrl(), form(grant));
    const token = (await response.json()) as { access_token: string; refresh_token: string; expires_in: number; token_type: string };
    const read = () => fetch(`${sandbox.url}/crm/v3/pipelines/deals`, { headers: { authorization: `Bearer ${token.access_token}` } });
    const fresh = await read();
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await read();

    expect(response.status).toBe(200);
    expect(token).toMatchObject({ token_type: 'bearer', refresh_token: 'rt-1', hub_id: 1, access_token: expect.any(String), expires_in: 1 });
    expect([fresh.status, expired.status]).toEqual([200, 401]);
    expect(await expired.json()).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION', correlationId: expect.any(String) });
  });

  it.each([
    ['an unknown refresh token', form({ ...grant, refresh_token: 'rt-unknown' }), /refresh token/],
    ['a wrong client secret', form({ ...grant, client_secret: 'old-secret' }), /client secret/],
    ['another app', form({ ...grant, client_id: 'app-2' }), /client id/],
    ['another grant', form({ ...grant, grant_type: 'client_credentials' }), /grant_type/],
    ['parameters in a JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(grant) }, /form-urlencoded/],
  ])('refuses %s with 400 and HubSpot error object, issuing nothing', async (_name, init, message) => {
    sandbox = await start();

    const response = await fetch(tokenUrl(), init);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: expect.stringMatching(message),
      correlationId: expect.any(String),
    });
    expect(sandbox.issuedAccessTokens.size).toBe(0);
  });

  it('refuses the parameters in the query string (the 2026-03 endpoints take them in the body only), and has no v1 endpoint', async () => {
    sandbox = await start();

    const query = await fetch(`${tokenUrl()}?${new URLSearchParams(grant).toString()}`, form({}));
    const v1 = await fetch(`${sandbox.url}/oauth/v1/token`, form(grant));

    expect(query.status).toBe(400);
    expect(v1.status).not.toBe(200);
    expect(sandbox.issuedAccessTokens.size).toBe(0);
  });
});
