import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetSuiteSandbox, startNetSuiteSandbox } from '../../../local/sandboxes/netsuite/netsuite-sandbox';

// Conformance with docs/vendors/netsuite.md (NetSuite), by hand-built requests. The OAuth 1.0a signer below is
// written from RFC 5849 §3.4 for these tests, apart from the adapter's.
const tba = { consumerKey: 'ck', consumerSecret: 'cs', tokenId: 'tk', tokenSecret: 'ts' };
const rfc3986 = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function authorization(method: string, url: string, options: { nonce?: string; timestamp?: number; secret?: string } = {}): string {
  const oauth: Record<string, string> = {
    oauth_consumer_key: tba.consumerKey,
    oauth_nonce: options.nonce ?? randomBytes(8).toString('hex'),
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_token: tba.tokenId,
    oauth_version: '1.0',
  };
  const u = new URL(url);
  const params = [...u.searchParams.entries(), ...Object.entries(oauth)].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort();
  const base = `${method}&${rfc3986(`${u.origin}${u.pathname}`)}&${rfc3986(params.join('&'))}`;
  const signature = createHmac('sha256', `${options.secret ?? tba.consumerSecret}&${tba.tokenSecret}`)
    .update(base)
    .digest('base64');
  return `OAuth realm="123_SB1", ${Object.entries({ ...oauth, oauth_signature: signature })
    .map(([k, v]) => `${k}="${rfc3986(v)}"`)
    .join(', ')}`;
}

let sandbox: NetSuiteSandbox;
afterEach(async () => sandbox?.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const url = `${sandbox.url}${path}`;
  return fetch(url, {
    method,
    headers: { authorization: authorization(method, url), 'content-type': 'application/json', ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

describe('NetSuite sandbox', () => {
  it('answers a create with 204, no body and the new internal id only in the Location header', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });

    const response = await call('POST', '/services/rest/record/v1/customer', { companyName: 'Globex' });

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('location')).toMatch(/\/services\/rest\/record\/v1\/customer\/\d+$/);
    const read = await call('GET', new URL(response.headers.get('location')!).pathname);
    expect(await read.json()).toMatchObject({ companyName: 'Globex', id: response.headers.get('location')!.split('/').pop() });
  });

  it('upserts by external id: the same PUT eid twice makes one record', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });

    const first = await call('PUT', '/services/rest/record/v1/customer/eid:G-1', { companyName: 'Globex' });
    const second = await call('PUT', '/services/rest/record/v1/customer/eid:G-1', { companyName: 'Globex Corp' });

    expect([first.status, second.status]).toEqual([204, 204]);
    expect(first.headers.get('location')).toBe(second.headers.get('location'));
    expect(sandbox.records('customer')).toEqual([expect.objectContaining({ companyName: 'Globex Corp', externalId: 'G-1' })]);
  });

  it('updates an existing record in the fields an upsert sends and leaves the others as they are', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });

    await call('PUT', '/services/rest/record/v1/customer/eid:G-9', { companyName: 'Globex', terms: { refName: 'NET30' } });
    await call('PUT', '/services/rest/record/v1/customer/eid:G-9', { companyName: 'Globex Holdings' });

    expect(sandbox.records('customer')).toEqual([expect.objectContaining({ companyName: 'Globex Holdings', terms: { refName: 'NET30' } })]);
  });

  it('links a job to its customer through parent, and refuses a job whose parent does not exist with o:errorDetails', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const customer = (await call('PUT', '/services/rest/record/v1/customer/eid:G-2', { companyName: 'Globex' })).headers.get('location')!.split('/').pop();

    const ok = await call('PUT', '/services/rest/record/v1/job/eid:P-1', { companyName: 'Rollout', parent: { id: customer } });
    const orphan = await call('PUT', '/services/rest/record/v1/job/eid:P-2', { companyName: 'Orphan', parent: { id: '999999' } });

    expect(ok.status).toBe(204);
    expect(orphan.status).toBe(400);
    expect(await orphan.json()).toMatchObject({ status: 400, 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', detail: expect.stringContaining('999999') }] });
  });

  it('assigns the invoice number and computes tax and totals, and refuses unknown items and customers', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba, taxRatePercent: 8.25 });
    const customer = (await call('PUT', '/services/rest/record/v1/customer/eid:G-3', { companyName: 'Globex' })).headers.get('location')!.split('/').pop();
    const lines = {
      items: [
        { item: { id: '101' }, amount: 1000 },
        { item: { id: '102' }, amount: 241.5 },
      ],
    };

    const created = await call('PUT', '/services/rest/record/v1/invoice/eid:c-1-2026-11', { entity: { id: customer }, item: lines });
    const read = (await (await call('GET', new URL(created.headers.get('location')!).pathname)).json()) as Record<string, unknown>;
    const badItem = await call('PUT', '/services/rest/record/v1/invoice/eid:c-1-2026-12', {
      entity: { id: customer },
      item: { items: [{ item: { id: '999' }, amount: 1 }] },
    });
    const badCustomer = await call('PUT', '/services/rest/record/v1/invoice/eid:c-2-2026-12', { entity: { id: '424242' }, item: lines });

    expect(created.status).toBe(204);
    expect(read).toMatchObject({ tranId: 'INV000001', subtotal: 1241.5, taxTotal: 102.42, total: 1343.92 });
    expect([badItem.status, badCustomer.status]).toEqual([400, 400]);
    expect(await badItem.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', detail: expect.stringContaining('999') }] });
  });

  it('lists records changed since a time with the record query, and refuses a query it cannot read with 400', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const customer = (await call('PUT', '/services/rest/record/v1/customer/eid:G-4', { companyName: 'Globex' })).headers.get('location')!.split('/').pop();
    await call('PUT', '/services/rest/record/v1/invoice/eid:c-1', { entity: { id: customer }, item: { items: [{ item: { id: '101' }, amount: 100 }] } });
    const since = new Date(Date.now() + 1000).toISOString();

    const none = (await (await call('GET', `/services/rest/record/v1/invoice?q=${encodeURIComponent(`lastModifiedDate ON_OR_AFTER "${since}"`)}`)).json()) as {
      items: unknown[];
      totalResults: number;
    };
    const all = (await (
      await call('GET', `/services/rest/record/v1/invoice?q=${encodeURIComponent('lastModifiedDate ON_OR_AFTER "2020-01-01T00:00:00Z"')}`)
    ).json()) as { items: { id: string }[] };
    const bad = await call('GET', `/services/rest/record/v1/invoice?q=${encodeURIComponent('lastModifiedDate SOMETIME')}`);

    expect([none.items, none.totalResults, all.items.length]).toEqual([[], 0, 1]);
    expect(bad.status).toBe(400);
  });

  it('answers 404 with the error document for an unknown id', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });

    const response = await call('GET', '/services/rest/record/v1/customer/424242');

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'NONEXISTENT_ID' }] });
  });

  it('refuses a bad signature, a stale timestamp and a reused nonce with 401', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const url = `${sandbox.url}/services/rest/record/v1/customer/1`;
    const get = (auth: string) => fetch(url, { headers: { authorization: auth } });

    expect((await get(authorization('GET', url, { secret: 'wrong' }))).status).toBe(401);
    expect((await get(authorization('GET', url, { timestamp: Math.floor(Date.now() / 1000) - 900 }))).status).toBe(401);
    const replayed = authorization('GET', url, { nonce: 'same' });
    expect((await get(replayed)).status).toBe(404);
    expect((await get(replayed)).status).toBe(401);
  });

  it('issues OAuth 2.0 tokens that expire with a 401, after which a new token works', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', oauth2: { clientId: 'id', clientSecret: 'secret', tokenTtlSeconds: 1 } });
    const token = async () =>
      (
        (await (
          await fetch(`${sandbox.url}/services/rest/auth/oauth2/v1/token`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from('id:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials',
          })
        ).json()) as { access_token: string }
      ).access_token;
    const list = (t: string) => fetch(`${sandbox.url}/services/rest/record/v1/customer`, { headers: { authorization: `Bearer ${t}` } });

    const first = await token();
    expect((await list(first)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await list(first)).status).toBe(401);
    expect((await list(await token())).status).toBe(200);
  });

  it('answers 429 with the concurrency error code when more requests are in flight than the account allows', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba, concurrencyLimit: 2, latencyMs: 100 });

    const responses = await Promise.all([1, 2, 3, 4, 5].map((i) => call('PUT', `/services/rest/record/v1/customer/eid:C-${i}`, { companyName: `C${i}` })));

    const throttled = responses.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(await throttled[0]!.json()).toMatchObject({ status: 429, 'o:errorDetails': [{ 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }] });
  });

  it('answers injected faults as injected, then recovers', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    sandbox.injectFault({ pathPrefix: '/services/rest/record/v1/customer', response: { status: 503, json: { title: 'Service Unavailable' } } });

    expect((await call('GET', '/services/rest/record/v1/customer')).status).toBe(503);
    expect((await call('GET', '/services/rest/record/v1/customer')).status).toBe(200);
  });
});
