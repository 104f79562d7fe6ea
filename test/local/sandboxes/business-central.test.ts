import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BusinessCentralSandbox,
  type BusinessCentralSandboxOptions,
  startBusinessCentralSandbox,
} from '../../../local/sandboxes/business-central/business-central-sandbox';

// Conformance with docs/vendors/business-central.md (Business Central) and BC's API v2.0 documentation, by raw HTTP
// (fetch, a form-encoded token request, a plain receiver written here), never through an adapter.
const environment = {
  tenantId: 'contoso.onmicrosoft.com',
  environment: 'Production',
  clientId: 'app-ps-sync',
  clientSecret: 's3cret',
} satisfies BusinessCentralSandboxOptions;
const SCOPE = 'https://api.businesscentral.dynamics.com/.default';

let sandbox: BusinessCentralSandbox | undefined;
let receiver: Server | undefined;
let bearer: string | undefined;
afterEach(async () => {
  await sandbox?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  sandbox = receiver = bearer = undefined;
});

async function start(options: Partial<BusinessCentralSandboxOptions> = {}): Promise<BusinessCentralSandbox> {
  sandbox = await startBusinessCentralSandbox({ ...environment, ...options });
  return sandbox;
}

function requestToken(secret: string = environment.clientSecret): Promise<Response> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: environment.clientId, client_secret: secret, scope: SCOPE });
  return fetch(sandbox!.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
}

/** One API call below the API root, with a bearer token fetched once per test. */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  bearer ??= ((await (await requestToken()).json()) as { access_token: string }).access_token;
  return fetch(`${sandbox!.apiRoot}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
const company = (rest: string) => `/companies(${sandbox!.companyId})/${rest}`;
const json = async <T = Record<string, unknown>>(response: Response) => (await response.json()) as T;
type ErrorBody = { error: { code: string; message: string } };
type Invoice = { id: string; number: string; status: string; '@odata.etag': string; [property: string]: unknown };

async function receive(answer: (url: URL) => { status: number; body?: string }): Promise<{ url: string; calls: { url: string; body: string }[] }> {
  const calls: { url: string; body: string }[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      calls.push({ url: req.url ?? '/', body });
      const { status, body: out } = answer(url);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(out ?? '');
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}/hook`, calls };
}
const echoToken = (url: URL) => (url.searchParams.has('validationToken') ? { status: 200, body: url.searchParams.get('validationToken')! } : { status: 200 });
const subscribe = (url: string, resource = 'api/v2.0/companies(1)/salesInvoices') =>
  call('POST', '/subscriptions', { notificationUrl: url, resource, clientState: 'our-secret' });
const notifications = (calls: { body: string }[]) =>
  calls.filter((c) => c.body).flatMap((c) => (JSON.parse(c.body) as { value: Record<string, string>[] }).value);

const TWO_LINES = [
  { lineType: 'Item', lineObjectNumber: '1000', description: 'Consulting, November', quantity: 7.5, unitPrice: 150 },
  { lineType: 'Item', lineObjectNumber: '1001', description: 'Travel', quantity: 1, unitPrice: 241.37 },
];
async function customer(number = 'GLOBEX'): Promise<{ id: string; number: string }> {
  return json(await call('POST', company('customers'), { number, displayName: 'Globex Corporation', email: 'ap@globex.example' }));
}
async function draft(customerId: string, externalDocumentNumber: string, salesInvoiceLines: unknown[] = TWO_LINES): Promise<Response> {
  return call('POST', company('salesInvoices'), { externalDocumentNumber, customerId, currencyCode: '', invoiceDate: '2026-11-30', salesInvoiceLines });
}

describe('Business Central sandbox: webhooks', () => {
  it('validates the notification URL with a token before creating a subscription that expires in three days', async () => {
    await start();
    const target = await receive(echoToken);

    const created = await subscribe(target.url);

    expect(created.status).toBe(201);
    expect(target.calls[0]?.url).toMatch(/validationToken=/);
    const { expirationDateTime } = await json<{ expirationDateTime: string }>(created);
    expect(Date.parse(expirationDateTime) - Date.now()).toBeGreaterThan(3 * 24 * 3600 * 1000 - 60_000);
  });

  it('refuses a subscription whose URL does not echo the token', async () => {
    await start();
    const target = await receive(() => ({ status: 200, body: 'wrong' }));

    expect((await subscribe(target.url)).status).toBe(400);
    expect(sandbox!.subscriptions.size).toBe(0);
  });

  it('notifies value[] entries with the clientState, one collection notification above 1,000 changes', async () => {
    await start();
    const target = await receive(echoToken);
    await subscribe(target.url);

    await sandbox!.change('api/v2.0/companies(1)/salesInvoices', 2);
    await sandbox!.change('api/v2.0/companies(1)/salesInvoices', 1001);

    const bodies = target.calls.filter((c) => c.body).map((c) => JSON.parse(c.body) as { value: { changeType: string; clientState: string }[] });
    expect(bodies.map((b) => b.value.map((v) => v.changeType))).toEqual([['updated', 'updated'], ['collection']]);
    expect(bodies[0]!.value[0]!.clientState).toBe('our-secret');
  });

  it('retries a 503, and deletes the subscription after any other error status such as 401', async () => {
    await start({ maxDeliveryAttempts: 3 });
    let next = 503;
    const target = await receive((url) => (url.searchParams.has('validationToken') ? echoToken(url) : { status: next }));
    await subscribe(target.url);

    expect(await sandbox!.change('api/v2.0/companies(1)/salesInvoices', 1)).toEqual([503]);
    expect(target.calls.filter((c) => c.body).length).toBe(3);
    next = 401;
    await sandbox!.change('api/v2.0/companies(1)/salesInvoices', 1);
    expect(sandbox!.subscriptions.size).toBe(0);
  });

  it('renews with PATCH and the current If-Match, validating the URL again; a missing If-Match is 400, a stale one 409', async () => {
    await start();
    const target = await receive(echoToken);
    const created = await json<{ subscriptionId: string; '@odata.etag': string }>(await subscribe(target.url));
    const path = `/subscriptions('${created.subscriptionId}')`;

    const missing = await call('PATCH', path, {});
    const renewed = await call('PATCH', path, { clientState: 'rotated-secret' }, { 'if-match': created['@odata.etag'] });
    const stale = await call('PATCH', path, {}, { 'if-match': created['@odata.etag'] });

    expect(missing.status).toBe(400);
    expect((await json<ErrorBody>(missing)).error.code).toBe('BadRequest_InvalidToken');
    expect(renewed.status).toBe(200);
    const renewal = await json<{ clientState: string; expirationDateTime: string; '@odata.etag': string }>(renewed);
    expect(renewal.clientState).toBe('rotated-secret');
    expect(renewal['@odata.etag']).not.toBe(created['@odata.etag']);
    expect(target.calls.filter((c) => c.url.includes('validationToken'))).toHaveLength(2);
    expect(stale.status).toBe(409);
    expect((await json<ErrorBody>(stale)).error.code).toBe('Request_EntityChanged');
  });
});

describe('Business Central sandbox: authentication and limits', () => {
  it('issues a bearer token for the client credentials grant, and refuses a wrong secret with invalid_client', async () => {
    await start();

    const issued = await requestToken();
    const refused = await requestToken('not-the-secret');
    const anonymous = await fetch(`${sandbox!.apiRoot}/companies`);

    expect(issued.status).toBe(200);
    expect(await json(issued)).toMatchObject({ token_type: 'Bearer', expires_in: 3599, access_token: expect.any(String) });
    expect(refused.status).toBe(401);
    expect(await json(refused)).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/^AADSTS7000215:/) });
    expect(anonymous.status).toBe(401);
    expect((await json<ErrorBody>(anonymous)).error.code).toBe('Authentication_InvalidCredentials');
  });

  it.each([
    ['the v1 resource instead of a scope', 'https://api.businesscentral.dynamics.com'],
    ['a delegated permission', 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All'],
    ['no scope at all', ''],
  ])('refuses the client credentials grant with %s as invalid_scope (only <resource>/.default is valid)', async (_, scope) => {
    await start();
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: environment.clientId, client_secret: environment.clientSecret, scope });

    const refused = await fetch(sandbox!.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });

    expect(refused.status).toBe(400);
    expect(await json(refused)).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  });

  it('expires its tokens after expires_in: the API answers 401 until a new token is fetched', async () => {
    await start({ tokenLifetimeSeconds: 1 });
    const issued = await json<{ expires_in: number }>(await requestToken());
    expect(issued.expires_in).toBe(1);
    expect((await call('GET', '/companies')).status).toBe(200);

    await new Promise((r) => setTimeout(r, 1100));
    const expired = await call('GET', '/companies');
    bearer = undefined;
    const renewed = await call('GET', '/companies');

    expect(expired.status).toBe(401);
    expect((await json<ErrorBody>(expired)).error.code).toBe('Authentication_InvalidCredentials');
    expect(renewed.status).toBe(200);
  });

  it('answers 401 once the issued tokens are revoked, until a new token is fetched', async () => {
    await start();
    expect((await call('GET', '/companies')).status).toBe(200);

    sandbox!.revokeTokens();
    const revoked = await call('GET', '/companies');
    bearer = undefined;
    const renewed = await call('GET', '/companies');

    expect(revoked.status).toBe(401);
    expect((await json<ErrorBody>(revoked)).error.code).toBe('Authentication_InvalidCredentials');
    expect(renewed.status).toBe(200);
  });

  it('answers 429 Application_TooManyRequests with Retry-After beyond the requests per window, and serves again once the window slides on', async () => {
    await start({ requestsPerWindow: 3, windowMs: 300 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/companies')).status);

    const throttled = await call('GET', '/companies');
    await new Promise((r) => setTimeout(r, 350));
    const later = await call('GET', '/companies');

    expect(statuses).toEqual([200, 200, 200]);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect((await json<ErrorBody>(throttled)).error.code).toBe('Application_TooManyRequests');
    expect(later.status).toBe(200);
  });
});

describe('Business Central sandbox: company, customers, projects and items', () => {
  it('lists the environment’s one company, its id a GUID', async () => {
    await start();

    const { value } = await json<{ value: { id: string; name: string; displayName: string }[] }>(await call('GET', '/companies'));

    expect(value).toEqual([expect.objectContaining({ id: sandbox!.companyId, name: expect.any(String), displayName: expect.any(String) })]);
    expect(value[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('creates a customer with id, ETag and lastModifiedDateTime, upper-casing its Code number, and finds it by number', async () => {
    await start();

    const created = await call('POST', company('customers'), { number: 'ps-1001', displayName: 'Globex', currencyCode: 'EUR', email: 'ap@globex.example' });
    const found = await json<{ value: { id: string }[] }>(await call('GET', `${company('customers')}?$filter=${encodeURIComponent("number eq 'ps-1001'")}`));

    expect(created.status).toBe(201);
    const body = await json<{ id: string }>(created);
    expect(body).toMatchObject({
      number: 'PS-1001',
      displayName: 'Globex',
      currencyCode: 'EUR',
      '@odata.etag': expect.stringMatching(/^W\/"/),
      lastModifiedDateTime: expect.any(String),
    });
    expect(found.value.map((c) => c.id)).toEqual([body.id]);
  });

  it('refuses a duplicate customer number and one longer than Code[20]', async () => {
    await start();
    await customer('GLOBEX');

    const duplicate = await call('POST', company('customers'), { number: 'globex', displayName: 'Globex again' });
    const tooLong = await call('POST', company('customers'), { number: 'PS0123456789ABCDEF012', displayName: 'Initech' });

    expect(duplicate.status).toBe(400);
    expect((await json<ErrorBody>(duplicate)).error.code).toBe('Internal_EntityWithSameKeyExists');
    expect(tooLong.status).toBe(400);
    expect((await json<ErrorBody>(tooLong)).error.code).toBe('Application_StringExceededLength');
    expect(sandbox!.customers()).toHaveLength(1);
  });

  it('refuses a property the entity type does not have', async () => {
    await start();

    const response = await call('POST', company('customers'), { number: 'C1', name: 'Globex' });

    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error).toMatchObject({
      code: 'BadRequest',
      message: expect.stringContaining("'name' does not exist on type 'Microsoft.NAV.customer'"),
    });
  });

  it('creates projects by number the same way, refusing a duplicate', async () => {
    await start();

    const created = await call('POST', company('projects'), { number: 'PRJ-1', displayName: 'Globex rollout' });
    const duplicate = await call('POST', company('projects'), { number: 'PRJ-1', displayName: 'Again' });
    const found = await json<{ value: { number: string }[] }>(await call('GET', `${company('projects')}?$filter=${encodeURIComponent("number eq 'PRJ-1'")}`));

    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ id: expect.any(String), number: 'PRJ-1', displayName: 'Globex rollout', '@odata.etag': expect.any(String) });
    expect((await json<ErrorBody>(duplicate)).error.code).toBe('Internal_EntityWithSameKeyExists');
    expect(found.value).toEqual([expect.objectContaining({ number: 'PRJ-1' })]);
  });

  it('serves the seeded items by number', async () => {
    await start();

    const { value } = await json<{ value: { number: string; id: string }[] }>(
      await call('GET', `${company('items')}?$filter=${encodeURIComponent("number eq '1000'")}`),
    );

    expect(value).toEqual([expect.objectContaining({ number: '1000', id: expect.any(String) })]);
  });
});

describe('Business Central sandbox: sales invoices', () => {
  it('creates a draft with its lines in one deep insert, and finds it by externalDocumentNumber', async () => {
    await start();
    const { id: customerId } = await customer();

    const created = await draft(customerId, 'ps0a1b2c3d-nov');
    await draft(customerId, 'PS0A1B2C3D-DEC');
    const found = await json<{ value: Invoice[] }>(
      await call('GET', `${company('salesInvoices')}?$filter=${encodeURIComponent("externalDocumentNumber eq 'PS0A1B2C3D-NOV'")}`),
    );
    const invoice = await json<Invoice>(created);
    const expanded = await json<{ salesInvoiceLines: unknown[] }>(await call('GET', `${company(`salesInvoices(${invoice.id})`)}?$expand=salesInvoiceLines`));

    expect(created.status).toBe(201);
    expect(invoice).toMatchObject({
      number: expect.stringMatching(/^S-INV\d+$/),
      status: 'Draft',
      externalDocumentNumber: 'PS0A1B2C3D-NOV',
      customerId,
      currencyCode: 'USD',
      totalAmountExcludingTax: 1366.37,
    });
    expect(found.value.map((i) => i.id)).toEqual([invoice.id]);
    expect(expanded.salesInvoiceLines).toHaveLength(2);
  });

  it('refuses an externalDocumentNumber longer than Code[35]', async () => {
    await start();
    const { id: customerId } = await customer();

    const response = await draft(customerId, 'X'.repeat(36));

    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.code).toBe('Application_StringExceededLength');
  });

  it('adds lines one by one, posts with Microsoft.NAV.post (204, no body), and then reads a posted number, 8 % tax and the whole total remaining', async () => {
    await start();
    const { id: customerId } = await customer();
    const invoice = await json<Invoice>(await draft(customerId, 'PS-NOV', []));

    const lines = [];
    for (const line of TWO_LINES) lines.push(await call('POST', company(`salesInvoices(${invoice.id})/salesInvoiceLines`), line));
    const posted = await call('POST', company(`salesInvoices(${invoice.id})/Microsoft.NAV.post`));
    const read = await json<Invoice>(await call('GET', `${company(`salesInvoices(${invoice.id})`)}?$expand=salesInvoiceLines`));

    expect(lines.map((l) => l.status)).toEqual([201, 201]);
    expect(posted.status).toBe(204);
    expect(await posted.text()).toBe('');
    expect(read).toMatchObject({
      id: invoice.id,
      status: 'Open',
      number: expect.stringMatching(/^PS-INV\d+$/),
      postingDate: '2026-11-30',
      totalAmountExcludingTax: 1366.37,
      totalTaxAmount: 109.31,
      totalAmountIncludingTax: 1475.68,
      remainingAmount: 1475.68,
    });
    const lineTaxes = (read.salesInvoiceLines as { totalTaxAmount: number; taxPercent: number }[]).map((l) => [l.taxPercent, l.totalTaxAmount]);
    expect(lineTaxes).toEqual([
      [8, 90],
      [8, 19.31],
    ]);
  });

  it('refuses to post twice, to post a draft without lines, and to add a line to a posted invoice', async () => {
    await start();
    const { id: customerId } = await customer();
    const invoice = await json<Invoice>(await draft(customerId, 'PS-NOV'));
    const empty = await json<Invoice>(await draft(customerId, 'PS-EMPTY', []));
    await call('POST', company(`salesInvoices(${invoice.id})/Microsoft.NAV.post`));

    const again = await call('POST', company(`salesInvoices(${invoice.id})/Microsoft.NAV.post`));
    const nothing = await call('POST', company(`salesInvoices(${empty.id})/Microsoft.NAV.post`));
    const late = await call('POST', company(`salesInvoices(${invoice.id})/salesInvoiceLines`), TWO_LINES[0]);

    expect([again.status, nothing.status, late.status]).toEqual([400, 400, 400]);
    expect((await json<ErrorBody>(again)).error.message).toMatch(/draft invoice only/);
    expect((await json<ErrorBody>(nothing)).error.message).toMatch(/nothing to post/);
    expect((await json<ErrorBody>(late)).error.message).toMatch(/posted and can no longer be modified/);
    expect(sandbox!.invoice(empty.id)?.status).toBe('Draft');
  });

  it('rejects bad references: an unknown customer or item refuses the whole invoice', async () => {
    await start();
    const { id: customerId } = await customer();

    const unknownCustomer = await call('POST', company('salesInvoices'), {
      externalDocumentNumber: 'PS-1',
      customerNumber: 'NOBODY',
      salesInvoiceLines: TWO_LINES,
    });
    const unknownItem = await draft(customerId, 'PS-2', [{ lineType: 'Item', lineObjectNumber: '9999', quantity: 1, unitPrice: 10 }]);

    expect(unknownCustomer.status).toBe(400);
    expect((await json<ErrorBody>(unknownCustomer)).error).toMatchObject({
      code: 'Application_DialogException',
      message: expect.stringContaining('The sell-to customer cannot be found.'),
    });
    expect(unknownItem.status).toBe(400);
    expect((await json<ErrorBody>(unknownItem)).error).toMatchObject({
      code: 'Application_DialogException',
      message: expect.stringContaining('Item does not exist.'),
    });
    expect(sandbox!.invoices()).toEqual([]);
  });

  it('requires If-Match to PATCH a draft: missing is 400, stale is 409 Request_EntityChanged, the current ETag or * succeeds', async () => {
    await start();
    const { id: customerId } = await customer();
    const invoice = await json<Invoice>(await draft(customerId, 'PS-NOV'));
    const path = company(`salesInvoices(${invoice.id})`);

    const missing = await call('PATCH', path, { dueDate: '2027-01-15' });
    const current = await call('PATCH', path, { dueDate: '2027-01-15' }, { 'if-match': invoice['@odata.etag'] });
    const stale = await call('PATCH', path, { dueDate: '2027-01-31' }, { 'if-match': invoice['@odata.etag'] });
    const any = await call('PATCH', path, { dueDate: '2027-01-31' }, { 'if-match': '*' });

    expect(missing.status).toBe(400);
    expect(current.status).toBe(200);
    expect(stale.status).toBe(409);
    expect((await json<ErrorBody>(stale)).error.code).toBe('Request_EntityChanged');
    expect(any.status).toBe(200);
    expect(sandbox!.invoice(invoice.id)?.dueDate).toBe('2027-01-31');
  });

  it('records a payment in the back office: remainingAmount falls, Paid at zero, and each change notifies the subscriber with the invoice’s full resource path', async () => {
    await start();
    const target = await receive(echoToken);
    await subscribe(target.url, `companies(${sandbox!.companyId})/salesInvoices`);
    const { id: customerId } = await customer();
    const invoice = await json<Invoice>(await draft(customerId, 'PS-NOV'));
    await call('POST', company(`salesInvoices(${invoice.id})/Microsoft.NAV.post`));
    await sandbox!.flushNotifications();
    const posted = sandbox!.invoice(invoice.id)!;
    const resource = `api/v2.0/companies(${sandbox!.companyId})/salesInvoices(${invoice.id})`;
    expect(notifications(target.calls).at(-1)).toMatchObject({ resource, changeType: 'updated', clientState: 'our-secret' });
    target.calls.length = 0;

    const first = await sandbox!.pay(invoice.id, '500.00');
    const partly = await json<Invoice>(await call('GET', company(`salesInvoices(${invoice.id})`)));
    await sandbox!.pay(invoice.id, '975.68');
    const settled = await json<Invoice>(await call('GET', company(`salesInvoices(${invoice.id})`)));

    expect(first).toEqual([200]);
    expect(partly).toMatchObject({ status: 'Open', remainingAmount: 975.68 });
    expect(Date.parse(String(partly.lastModifiedDateTime))).toBeGreaterThan(Date.parse(posted.lastModifiedDateTime));
    expect(settled).toMatchObject({ status: 'Paid', remainingAmount: 0, totalAmountIncludingTax: 1475.68 });
    expect(notifications(target.calls)).toEqual([
      expect.objectContaining({ subscriptionId: expect.any(String), clientState: 'our-secret', resource, changeType: 'updated' }),
      expect.objectContaining({ resource, changeType: 'updated' }),
    ]);
  });
});
