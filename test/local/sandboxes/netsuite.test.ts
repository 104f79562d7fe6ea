import { createHmac, randomBytes } from 'node:crypto';
import { type CryptoKey, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
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

// OAuth 2.0 client credentials (M2M), from NetSuite's "POST Request to the Token Endpoint and the Access Token
// Response" and "The Request Token Structure": assertions signed here with jose, apart from the adapter's code.
type KeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };
let ps: KeyPair;
let ec: KeyPair;
let other: KeyPair;
let rs: KeyPair;
beforeAll(async () => {
  [ps, ec, other, rs] = await Promise.all([
    generateKeyPair('PS256', { extractable: true }),
    generateKeyPair('ES256', { extractable: true }),
    generateKeyPair('PS256'),
    generateKeyPair('RS256'),
  ]);
});
async function m2mSandbox(tokenTtlSeconds?: number): Promise<NetSuiteSandbox> {
  const certificates = { 'cert-ps': await exportSPKI(ps.publicKey), 'cert-ec': await exportSPKI(ec.publicKey) };
  return startNetSuiteSandbox({ accountId: '123_SB1', oauth2: { clientId: 'ns-client', certificates, ...(tokenTtlSeconds ? { tokenTtlSeconds } : {}) } });
}
const tokenUrl = () => `${sandbox.url}/services/rest/auth/oauth2/v1/token`;
interface AssertionOptions {
  kid?: string;
  key?: CryptoKey;
  alg?: string;
  typ?: string;
  iss?: string;
  aud?: string;
  scope?: string | readonly string[];
  iat?: number;
  lifetime?: number;
}
async function assertion(o: AssertionOptions = {}): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const alg = o.alg ?? 'PS256';
  const key = o.key ?? (alg === 'RS256' ? rs.privateKey : ps.privateKey);
  return new SignJWT({ scope: o.scope ?? ['rest_webservices'] })
    .setProtectedHeader({ alg, typ: o.typ ?? 'JWT', kid: o.kid ?? 'cert-ps' })
    .setIssuer(o.iss ?? 'ns-client')
    .setAudience(o.aud ?? tokenUrl())
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.lifetime ?? 300))
    .sign(key);
}
async function requestToken(clientAssertion: string, headers: Record<string, string> = {}) {
  return fetch(tokenUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    }),
  });
}
const list = (token: string) => fetch(`${sandbox.url}/services/rest/record/v1/customer`, { headers: { authorization: `Bearer ${token}` } });

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

    await call('PUT', '/services/rest/record/v1/customer/eid:G-9', { companyName: 'Globex', terms: { id: '2' } });
    await call('PUT', '/services/rest/record/v1/customer/eid:G-9', { companyName: 'Globex Holdings' });

    expect(sandbox.records('customer')).toEqual([expect.objectContaining({ companyName: 'Globex Holdings', terms: { id: '2' } })]);
  });

  it('sets currency, terms and taxItem by the internal id of a record the account has, and refuses a refName or an unknown id as an invalid field value', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba, currencyIds: ['1', '3'], paymentTermsIds: ['2'], taxItemIds: ['11'] });
    const byId = { companyName: 'Globex', currency: { id: '3' }, terms: { id: '2' }, taxItem: { id: '11' } };
    const refused = [
      { currency: { refName: 'USD' } },
      { terms: { refName: 'NET30' } },
      { taxItem: { refName: 'US-EXEMPT' } },
      { currency: { id: '2' } },
      { terms: { id: '7' } },
      { taxItem: { id: '12' } },
    ] as const;

    const made = await call('PUT', '/services/rest/record/v1/customer/eid:R-1', byId);
    const answers: Response[] = [];
    for (const [i, change] of refused.entries()) answers.push(await call('PUT', `/services/rest/record/v1/customer/eid:R-${i + 2}`, { ...byId, ...change }));
    const customer = made.headers.get('location')!.split('/').pop();
    const job = await call('PUT', '/services/rest/record/v1/job/eid:RP-1', { companyName: 'Rollout', parent: { id: customer }, currency: { refName: 'CAD' } });
    const invoice = await call('PUT', '/services/rest/record/v1/invoice/eid:RI-1', {
      entity: { id: customer },
      currency: { refName: 'CAD' },
      item: { items: [{ item: { id: '101' }, amount: 100 }] },
    });

    expect(made.status).toBe(204);
    expect(sandbox.records('customer')).toEqual([expect.objectContaining({ currency: { id: '3' }, terms: { id: '2' }, taxItem: { id: '11' } })]);
    expect([...answers, job, invoice].map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400]);
    const fields = ['currency', 'terms', 'taxItem', 'currency', 'terms', 'taxItem'];
    const values = ['USD', 'NET30', 'US-EXEMPT', '2', '7', '12'];
    for (const [i, answer] of answers.entries()) {
      expect(await answer.json()).toMatchObject({
        status: 400,
        'o:errorDetails': [
          {
            'o:errorCode': 'INVALID_CONTENT',
            detail: `Error while accessing resource: You have entered an Invalid Field Value ${values[i]} for the following field: ${fields[i]}`,
            'o:errorPath': fields[i],
          },
        ],
      });
    }
    expect(await job.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'INVALID_CONTENT', 'o:errorPath': 'currency' }] });
    expect(await invoice.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'INVALID_CONTENT', 'o:errorPath': 'currency' }] });
    expect([sandbox.records('job'), sandbox.records('invoice')]).toEqual([[], []]);
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

  it('lists invoices dated in a range with the record query on tranDate, and changes a total in the back office', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const customer = (await call('PUT', '/services/rest/record/v1/customer/eid:G-5', { companyName: 'Globex' })).headers.get('location')!.split('/').pop();
    const post = (eid: string, tranDate: string) =>
      call('PUT', `/services/rest/record/v1/invoice/eid:${eid}`, {
        entity: { id: customer },
        tranDate,
        item: { items: [{ item: { id: '101' }, amount: 100 }] },
      });
    await post('c-1:2026-10-01', '2026-10-31');
    const november = (await post('c-1:2026-11-01', '2026-11-30')).headers.get('location')!.split('/').pop()!;
    const query = encodeURIComponent('tranDate ON_OR_AFTER "2026-11-01" AND tranDate ON_OR_BEFORE "2026-11-30"');

    const listed = (await (await call('GET', `/services/rest/record/v1/invoice?q=${query}`)).json()) as { items: { id: string }[] };
    const changed = await fetch(`${sandbox.url}/__sandbox/invoices/${november}`, { method: 'PATCH', body: JSON.stringify({ total: 150 }) });
    const read = (await (await call('GET', `/services/rest/record/v1/invoice/${november}`)).json()) as { total: number };

    expect(listed.items.map((i) => i.id)).toEqual([november]);
    expect(changed.status).toBe(200);
    expect(read.total).toBe(150);
  });

  it('as a OneWorld account, refuses a customer or job without a subsidiary or with an unknown one, and keeps a customer upserted without resending it', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba, oneWorld: true, subsidiaryIds: ['1', '3'] });

    const missing = await call('PUT', '/services/rest/record/v1/customer/eid:OW-1', { companyName: 'Globex' });
    const unknown = await call('PUT', '/services/rest/record/v1/customer/eid:OW-1', { companyName: 'Globex', subsidiary: { id: '2' } });
    const byName = await call('PUT', '/services/rest/record/v1/customer/eid:OW-1', { companyName: 'Globex', subsidiary: { refName: 'Acme US' } });
    const made = await call('PUT', '/services/rest/record/v1/customer/eid:OW-1', { companyName: 'Globex', subsidiary: { id: '3' } });
    const renamed = await call('PUT', '/services/rest/record/v1/customer/eid:OW-1', { companyName: 'Globex Corp' });
    const customer = made.headers.get('location')!.split('/').pop();
    const job = await call('PUT', '/services/rest/record/v1/job/eid:OW-P', { companyName: 'Rollout', parent: { id: customer } });

    expect([missing.status, unknown.status, byName.status, made.status, renamed.status, job.status]).toEqual([400, 400, 400, 204, 204, 400]);
    expect(await missing.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', detail: 'Please enter value(s) for: Subsidiary' }] });
    expect(await unknown.json()).toMatchObject({
      status: 400,
      'o:errorDetails': [{ 'o:errorCode': 'INVALID_CONTENT', detail: expect.stringContaining('Invalid Field Value 2'), 'o:errorPath': 'subsidiary' }],
    });
    expect(sandbox.records('customer')).toEqual([expect.objectContaining({ companyName: 'Globex Corp', subsidiary: { id: '3' } })]);
    expect(sandbox.records('job')).toEqual([]);
  });

  it('takes a customer without a subsidiary when the account is not OneWorld', async () => {
    sandbox = await startNetSuiteSandbox({ accountId: '123_SB1', tba });

    expect((await call('PUT', '/services/rest/record/v1/customer/eid:NO-OW', { companyName: 'Globex' })).status).toBe(204);
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

  it('issues a 60-minute bearer token for a client assertion signed with a mapped certificate, and the token reads records', async () => {
    sandbox = await m2mSandbox();

    const response = await requestToken(await assertion());

    expect(response.status).toBe(200);
    const token = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token).toMatchObject({ token_type: 'bearer', expires_in: 3600, access_token: expect.any(String) });
    expect((await list(token.access_token)).status).toBe(200);
  });

  it('takes every documented algorithm family and scope as an array or comma-separated text', async () => {
    sandbox = await m2mSandbox();

    const es256 = await requestToken(await assertion({ kid: 'cert-ec', key: ec.privateKey, alg: 'ES256', scope: 'restlets,rest_webservices' }));

    expect(es256.status).toBe(200);
  });

  it('refuses the client secret flow (Basic client_id:client_secret) with invalid_client, and Basic beside an assertion as two methods', async () => {
    sandbox = await m2mSandbox();
    const basic = `Basic ${Buffer.from('ns-client:ns-secret').toString('base64')}`;

    const secretOnly = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const both = await requestToken(await assertion(), { authorization: basic });

    expect(secretOnly.status).toBe(401);
    expect(secretOnly.headers.get('www-authenticate')).toBe('Basic realm="123_SB1"');
    expect(await secretOnly.json()).toEqual({ error: 'invalid_client' });
    expect(both.status).toBe(400);
    expect(await both.json()).toEqual({ error: 'invalid_request' });
  });

  it.each([
    ['a key other than the mapped certificate', { otherKey: true }],
    ['a certificate id not mapped to the client', { kid: 'cert-unknown' }],
    ['another audience', { aud: 'https://123-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token' }],
    ['a scope without rest_webservices', { scope: ['restlets'] }],
    ['an exp more than 60 minutes after iat', { lifetime: 3601 }],
    ['an expired assertion', { iat: Math.floor(Date.now() / 1000) - 700, lifetime: 600 }],
    ['an algorithm NetSuite does not list (RS256)', { alg: 'RS256' }],
    ['a typ other than JWT', { typ: 'at+jwt' }],
  ] as const)('refuses an assertion with %s as invalid_grant', async (_, override) => {
    sandbox = await m2mSandbox();

    const response = await requestToken(await assertion('otherKey' in override ? { key: other.privateKey } : override));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
  });

  it('refuses an assertion from an unknown client as invalid_client, and a request without the assertion type as invalid_request', async () => {
    sandbox = await m2mSandbox();

    const unknown = await requestToken(await assertion({ iss: 'someone-else' }));
    const untyped = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion: await assertion() }),
    });

    expect([unknown.status, await unknown.json()]).toEqual([401, { error: 'invalid_client' }]);
    expect([untyped.status, await untyped.json()]).toEqual([400, { error: 'invalid_request' }]);
  });

  it('expires its access tokens with a 401 INVALID_LOGIN, after which a new token works', async () => {
    sandbox = await m2mSandbox(1);
    const token = async () => ((await (await requestToken(await assertion())).json()) as { access_token: string }).access_token;

    const first = await token();
    expect((await list(first)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await list(first);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'INVALID_LOGIN' }] });
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
