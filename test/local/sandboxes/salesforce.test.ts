import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtBearerAssertion } from '../../../lambdas/common/salesforce-platform/oauth';
import { clientCredentialsSession } from '../../../local/sandboxes/salesforce/oauth-token-endpoint';
import { type SalesforceSandbox, startSalesforceSandbox } from '../../../local/sandboxes/salesforce/salesforce-sandbox';

// Conformance with docs/vendors/salesforce.md (Salesforce REST and its OAuth token endpoint), by plain fetch.
let sandbox: SalesforceSandbox | undefined;
let session: string | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  session = undefined;
});
const APP = { clientId: '3MVG9TEST.consumer-key', clientSecret: 'consumer-secret' };
const OAUTH = { apps: [{ ...APP, runAs: 'integration@acme.test' }], users: ['integration@acme.test'] };
/** A session issued by the client credentials flow, as the adapter gets one. */
const bearer = async () => (session ??= await clientCredentialsSession(sandbox!.url, APP));
const api = async (path: string, method: string, body?: unknown, token?: string) =>
  fetch(`${sandbox!.url}/services/data/v64.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token ?? (await bearer())}`, 'content-type': 'application/json', 'Sforce-Call-Options': 'client=ps-sync' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const start = (dailyLimit = 100) =>
  startSalesforceSandbox({ oauth: OAUTH, dailyLimit, fields: { Opportunity: ['Name', 'StageName', 'ERP_Id__c', 'Ext_Id__c'] } });

describe('Salesforce sandbox', () => {
  it('creates with 201 {id, success, errors}, updates with 204 and no body, and reports usage on every response', async () => {
    sandbox = await start();

    const created = await api('/sobjects/Opportunity', 'POST', { Name: 'Globex', StageName: 'Prospecting' });
    const { id } = (await created.json()) as { id: string };
    const updated = await api(`/sobjects/Opportunity/${id}`, 'PATCH', { StageName: 'Closed Won' });

    expect(created.status).toBe(201);
    expect(id).toMatch(/^006/);
    expect(updated.status).toBe(204);
    expect(await updated.text()).toBe('');
    expect(updated.headers.get('sforce-limit-info')).toBe('api-usage=2/100');
    expect(sandbox.writes.at(-1)).toMatchObject({ id, changeOrigin: 'com/salesforce/api/rest/64.0;client=ps-sync' });
  });

  it('upserts by external id: 201 created, then 200 with created false, and 300 when ambiguous', async () => {
    sandbox = await start();

    const first = await api('/sobjects/Opportunity/Ext_Id__c/X-1', 'PATCH', { Name: 'A' });
    const second = await api('/sobjects/Opportunity/Ext_Id__c/X-1', 'PATCH', { Name: 'B' });
    await api('/sobjects/Opportunity', 'POST', { Ext_Id__c: 'X-2' });
    await api('/sobjects/Opportunity', 'POST', { Ext_Id__c: 'X-2' });
    const ambiguous = await api('/sobjects/Opportunity/Ext_Id__c/X-2', 'PATCH', { Name: 'C' });

    expect([first.status, second.status, ambiguous.status]).toEqual([201, 200, 300]);
    expect(await second.json()).toMatchObject({ created: false });
  });

  it('answers errors as an array of {message, errorCode, fields}', async () => {
    sandbox = await start();

    const response = await api('/sobjects/Opportunity', 'POST', { Nope__c: 1 });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual([{ errorCode: 'INVALID_FIELD', message: expect.any(String), fields: ['Nope__c'] }]);
  });

  it('answers 401 INVALID_SESSION_ID to a bad token and 403 REQUEST_LIMIT_EXCEEDED past the daily allocation', async () => {
    sandbox = await start(2);

    expect(await (await api('/sobjects/Opportunity', 'POST', { Name: 'A' }, 'expired')).json()).toEqual([
      expect.objectContaining({ errorCode: 'INVALID_SESSION_ID' }),
    ]);
    await api('/sobjects/Opportunity', 'POST', { Name: 'A' });
    await api('/sobjects/Opportunity', 'POST', { Name: 'B' });
    const over = await api('/sobjects/Opportunity', 'POST', { Name: 'C' });
    expect(over.status).toBe(403);
    expect(await over.json()).toEqual([expect.objectContaining({ errorCode: 'REQUEST_LIMIT_EXCEEDED' })]);
  });

  it('answers collections with 200 and per-item results, and rolls all back with allOrNone', async () => {
    sandbox = await start();
    const { id } = (await (await api('/sobjects/Opportunity', 'POST', { Name: 'A' })).json()) as { id: string };
    const records = [
      { attributes: { type: 'Opportunity' }, id, StageName: 'Closed Won' },
      { attributes: { type: 'Opportunity' }, id: '006MISSING', StageName: 'Closed Won' },
    ];

    const partial = await api('/composite/sobjects', 'PATCH', { allOrNone: false, records });
    const rolledBack = await api('/composite/sobjects', 'PATCH', { allOrNone: true, records: records.map((r) => ({ ...r, StageName: 'Closed Lost' })) });
    const tooMany = await api('/composite/sobjects', 'PATCH', { records: Array.from({ length: 201 }, () => records[0]) });

    expect(partial.status).toBe(200);
    expect(((await partial.json()) as { success: boolean }[]).map((r) => r.success)).toEqual([true, false]);
    expect(((await rolledBack.json()) as { errors: { statusCode: string }[] }[])[0]!.errors[0]!.statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(sandbox.record('Opportunity', id)?.StageName).toBe('Closed Won');
    expect(tooMany.status).toBe(400);
  });

  describe('SOQL', () => {
    it('selects, filters with IN and datetime comparisons, orders and pages by nextRecordsUrl', async () => {
      sandbox = await startSalesforceSandbox({ oauth: OAUTH, fields: { Opportunity: ['Name', 'StageName'] }, queryPageSize: 2 });
      for (const [name, stage] of [
        ['A', 'Closed Won'],
        ['B', 'Prospecting'],
        ['C', 'Closed Won'],
        ['D', 'Won - Signed'],
      ])
        await api('/sobjects/Opportunity', 'POST', { Name: name, StageName: stage });
      const q = encodeURIComponent(
        "SELECT Id, Name FROM Opportunity WHERE StageName IN ('Closed Won', 'Won - Signed') AND LastModifiedDate >= 2020-01-01T00:00:00Z ORDER BY Name DESC",
      );

      const first = (await (await api(`/query?q=${q}`, 'GET')).json()) as {
        totalSize: number;
        done: boolean;
        nextRecordsUrl: string;
        records: { Name: string; attributes: { type: string } }[];
      };
      const rest = (await (await fetch(`${sandbox.url}${first.nextRecordsUrl}`, { headers: { authorization: `Bearer ${await bearer()}` } })).json()) as {
        done: boolean;
        records: { Name: string }[];
      };

      expect([first.totalSize, first.done, first.records.map((r) => r.Name)]).toEqual([3, false, ['D', 'C']]);
      expect(first.records[0]!.attributes.type).toBe('Opportunity');
      expect([rest.done, rest.records.map((r) => r.Name)]).toEqual([true, ['A']]);
    });

    it('refuses a malformed query and an unknown field with 400 and the error code', async () => {
      sandbox = await start();

      const malformed = await api(`/query?q=${encodeURIComponent('SELECT Id FROM Opportunity WHERE')}`, 'GET');
      const unknown = await api(`/query?q=${encodeURIComponent('SELECT Nope__c FROM Opportunity')}`, 'GET');

      expect([malformed.status, ((await malformed.json()) as { errorCode: string }[])[0]!.errorCode]).toEqual([400, 'MALFORMED_QUERY']);
      expect([unknown.status, ((await unknown.json()) as { errorCode: string }[])[0]!.errorCode]).toEqual([400, 'INVALID_FIELD']);
    });
  });

  describe('change events through Event Relay', () => {
    const relayed: { source: string; detailType: string; detail: string }[] = [];
    const startRelaying = () =>
      startSalesforceSandbox({
        oauth: OAUTH,
        fields: { Opportunity: ['Name', 'StageName', 'Amount'] },
        relay: {
          eventSourceName: 'aws.partner/salesforce.com/00D000000000001/0YL000000000001',
          put: async (e) => void relayed.push(e),
          enrichedFields: { Opportunity: ['Name'] },
        },
      });
    const header = (i: number) => (JSON.parse(relayed[i]!.detail) as { payload: { ChangeEventHeader: Record<string, unknown> } }).payload.ChangeEventHeader;
    afterEach(() => void relayed.splice(0));

    it('relays an API write with our client id in changeOrigin, the changed fields listed and enrichment unlisted', async () => {
      sandbox = await startRelaying();
      const { id } = (await (await api('/sobjects/Opportunity', 'POST', { Name: 'Globex', StageName: 'Prospecting' })).json()) as { id: string };
      await api(`/sobjects/Opportunity/${id}`, 'PATCH', { StageName: 'Closed Won' });
      await sandbox.settled();

      expect(relayed.map((e) => [e.source, e.detailType])).toEqual([
        ['aws.partner/salesforce.com/00D000000000001/0YL000000000001', 'OpportunityChangeEvent'],
        ['aws.partner/salesforce.com/00D000000000001/0YL000000000001', 'OpportunityChangeEvent'],
      ]);
      expect(header(1)).toMatchObject({
        entityName: 'Opportunity',
        recordIds: [id],
        changeType: 'UPDATE',
        changedFields: ['StageName', 'LastModifiedDate'],
        changeOrigin: 'com/salesforce/api/rest/64.0;client=ps-sync',
        commitUser: '0050000000INTEG',
      });
      expect((JSON.parse(relayed[1]!.detail) as { payload: Record<string, unknown> }).payload).toMatchObject({ StageName: 'Closed Won', Name: 'Globex' });
    });

    it('writes commitNumber as a bare number beyond 2^53, increasing with each commit', async () => {
      sandbox = await startRelaying();
      await api('/sobjects/Opportunity', 'POST', { Name: 'A' });
      await api('/sobjects/Opportunity', 'POST', { Name: 'B' });
      await sandbox.settled();

      const numbers = relayed.map((e) => /"commitNumber":(\d+)[,}]/.exec(e.detail)?.[1]);
      expect(numbers.every((n) => n !== undefined && BigInt(n) > 2n ** 53n)).toBe(true);
      expect(BigInt(numbers[1]!) > BigInt(numbers[0]!)).toBe(true);
    });

    it('makes a merged event for one transaction over many records, GAP events without values, a lost event and a replay', async () => {
      sandbox = await startRelaying();
      const ids: string[] = [];
      for (const name of ['A', 'B'])
        ids.push(
          (
            (await (await fetch(`${sandbox.url}/__sandbox/sobjects/Opportunity`, { method: 'POST', body: JSON.stringify({ Name: name }) })).json()) as {
              id: string;
            }
          ).id,
        );
      await fetch(`${sandbox.url}/__sandbox/sobjects/Opportunity`, { method: 'PATCH', body: JSON.stringify({ ids, values: { StageName: 'Closed Won' } }) });
      await fetch(`${sandbox.url}/__sandbox/relay/gap`, {
        method: 'POST',
        body: JSON.stringify({ sobject: 'Opportunity', ids: [ids[0]], changeType: 'GAP_UPDATE' }),
      });
      await fetch(`${sandbox.url}/__sandbox/relay/lose-next`, { method: 'POST', body: '{}' });
      await fetch(`${sandbox.url}/__sandbox/sobjects/Opportunity/${ids[1]}`, { method: 'PATCH', body: JSON.stringify({ Amount: 5 }) });
      await sandbox.settled();
      const before = relayed.length;
      await fetch(`${sandbox.url}/__sandbox/relay/replay`, { method: 'POST', body: '{}' });
      await sandbox.settled();

      expect(header(2)).toMatchObject({ recordIds: ids, changeType: 'UPDATE', changeOrigin: 'com/salesforce/ui', commitUser: '0050000000ALICE' });
      expect(header(3)).toMatchObject({ recordIds: [ids[0]], changeType: 'GAP_UPDATE', changedFields: [] });
      expect(before).toBe(4);
      expect(relayed.slice(before).map((e) => e.detail)).toEqual(relayed.slice(0, before).map((e) => e.detail));
    });
  });
});

describe('Salesforce sandbox OAuth token endpoint', () => {
  const token = (form: Record<string, string>) =>
    fetch(`${sandbox!.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const other = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const JWT_APP = { clientId: '3MVG9TEST.jwt-app', certificate: keys.publicKey, preAuthorized: ['integration@acme.test'] };
  const startOrg = (sessionLifetimeMs?: number) =>
    startSalesforceSandbox({
      oauth: {
        apps: [...OAUTH.apps, JWT_APP, { clientId: '3MVG9TEST.no-run-as', clientSecret: 's' }],
        users: ['integration@acme.test', 'alice@acme.test'],
        ...(sessionLifetimeMs === undefined ? {} : { sessionLifetimeMs }),
      },
      fields: { Opportunity: ['Name'] },
    });
  const assertion = (claims: { iss?: string; sub?: string; aud?: string; expIn?: number }, privateKey = keys.privateKey) =>
    jwtBearerAssertion(
      {
        flow: 'jwt-bearer',
        clientId: claims.iss ?? JWT_APP.clientId,
        username: claims.sub ?? 'integration@acme.test',
        privateKey,
        ...(claims.aud ? { audience: claims.aud } : {}),
      },
      new Date(Date.now() + (claims.expIn ?? 150) * 1000 - 150_000),
    );
  const jwtGrant = async (claims: Parameters<typeof assertion>[0], privateKey?: string) =>
    token({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await assertion(claims, privateKey) });
  const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

  it('refuses a static token it never issued: only sessions from the token endpoint reach the API', async () => {
    sandbox = await startOrg();

    const old = await api('/sobjects/Opportunity', 'POST', { Name: 'A' }, '00DLOCAL!local-session-token');
    const issued = await api('/sobjects/Opportunity', 'POST', { Name: 'A' });

    expect([old.status, await old.json()]).toEqual([401, INVALID_SESSION]);
    expect(issued.status).toBe(201);
  });

  it('issues a session by client credentials, with instance_url and neither refresh_token nor expires_in', async () => {
    sandbox = await startOrg();

    const response = await token({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ access_token: expect.stringMatching(/^00D\w+!/), instance_url: sandbox.url, token_type: 'Bearer', id: expect.any(String) });
    expect(body).not.toHaveProperty('refresh_token');
    expect(body).not.toHaveProperty('expires_in');
    expect(sandbox.sessionsIssued).toEqual([{ flow: 'client-credentials', username: 'integration@acme.test' }]);
  });

  it('refuses bad client credentials, an app without a run-as user, and every other grant, in the OAuth error shape', async () => {
    sandbox = await startOrg();
    const answer = async (form: Record<string, string>) => {
      const response = await token(form);
      return [response.status, ((await response.json()) as { error: string }).error];
    };

    expect(await answer({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: 'wrong' })).toEqual([400, 'invalid_client']);
    expect(await answer({ grant_type: 'client_credentials', client_id: 'unknown', client_secret: 'x' })).toEqual([400, 'invalid_client_id']);
    expect(await answer({ grant_type: 'client_credentials', client_id: '3MVG9TEST.no-run-as', client_secret: 's' })).toEqual([400, 'invalid_grant']);
    expect(
      await answer({ grant_type: 'password', client_id: APP.clientId, client_secret: APP.clientSecret, username: 'alice@acme.test', password: 'p' }),
    ).toEqual([400, 'unsupported_grant_type']);
    expect(await answer({ grant_type: 'refresh_token', client_id: APP.clientId, refresh_token: 'r' })).toEqual([400, 'unsupported_grant_type']);
    expect(sandbox.sessionsIssued).toEqual([]);
  });

  it('issues a session by JWT bearer only for an assertion signed with the app certificate key, for a pre-authorized user, the right audience and a short exp', async () => {
    sandbox = await startOrg();
    const refusal = async (response: Response) => [response.status, await response.json()];

    const ok = await jwtGrant({});
    const { access_token } = (await ok.json()) as { access_token: string };

    expect(ok.status).toBe(200);
    expect((await api('/sobjects/Opportunity', 'POST', { Name: 'A' }, access_token)).status).toBe(201);
    expect((await jwtGrant({ aud: 'https://test.salesforce.com' })).status).toBe(200);
    expect(await refusal(await jwtGrant({}, other.privateKey))).toEqual([400, { error: 'invalid_grant', error_description: 'invalid assertion' }]);
    expect(await refusal(await jwtGrant({ aud: 'https://example.com' }))).toEqual([400, { error: 'invalid_grant', error_description: 'audience is invalid' }]);
    expect(await refusal(await jwtGrant({ expIn: -10 }))).toEqual([400, { error: 'invalid_grant', error_description: 'expired authorization code' }]);
    expect(await refusal(await jwtGrant({ expIn: 600 }))).toEqual([400, { error: 'invalid_grant', error_description: 'invalid assertion' }]);
    expect(await refusal(await jwtGrant({ sub: 'alice@acme.test' }))).toEqual([
      400,
      { error: 'invalid_grant', error_description: "user hasn't approved this consumer" },
    ]);
    expect(await refusal(await jwtGrant({ iss: 'unknown' }))).toEqual([400, { error: 'invalid_client_id', error_description: 'client identifier invalid' }]);
  });

  it('expires sessions after the session timeout, and on demand, answering INVALID_SESSION_ID', async () => {
    sandbox = await startOrg(100);
    const first = await bearer();

    await new Promise((resolve) => setTimeout(resolve, 150));
    const expired = await api('/sobjects/Opportunity', 'POST', { Name: 'A' }, first);
    session = undefined;
    const renewed = await api('/sobjects/Opportunity', 'POST', { Name: 'A' });
    await fetch(`${sandbox.url}/__sandbox/oauth/expire-sessions`, { method: 'POST' });
    const revoked = await api('/sobjects/Opportunity', 'POST', { Name: 'A' });

    expect([expired.status, await expired.json()]).toEqual([401, INVALID_SESSION]);
    expect(renewed.status).toBe(201);
    expect(revoked.status).toBe(401);
  });
});
