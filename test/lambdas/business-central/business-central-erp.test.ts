import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessCentralErp, businessCentralNumber } from '../../../lambdas/business-central/business-central-erp';
import { receiveBusinessCentral } from '../../../lambdas/business-central/notification-intake';
import { invoiceDocumentNumber, invoiceGlobalId } from '../../../lambdas/common/billing-keys';
import { paymentEvents } from '../../../lambdas/invoice-payment-status/payments';
import { type BusinessCentralSandbox, startBusinessCentralSandbox } from '../../../local/sandboxes/business-central/business-central-sandbox';

const app = { tenantId: 'contoso.onmicrosoft.com', environment: 'Production', clientId: 'ps-sync-app', clientSecret: 'app-secret' };
const CLIENT_STATE = 'our-client-state';

let sandbox: BusinessCentralSandbox;
let receiver: Server;
let receiverUrl: string;
const received: { accepted: number; rejected: number }[] = [];

function adapter(overrides: { clientSecret?: string } = {}): BusinessCentralErp {
  const credentials = { clientId: app.clientId, clientSecret: overrides.clientSecret ?? app.clientSecret };
  return new BusinessCentralErp({
    instance: 'business-central-uk',
    tenantId: app.tenantId,
    environment: app.environment,
    companyId: sandbox.companyId,
    localCurrency: 'GBP',
    baseUrl: sandbox.url,
    authorityUrl: sandbox.url,
    credentials: async () => credentials,
    refreshCredentials: async () => credentials,
    audit: { record: async () => undefined },
    execution: 'test',
    correlationId: 'test',
  });
}

const gbp = (amountMinor: number) => ({ amountMinor, currency: 'GBP' as const });
const draft = (externalId: string, customerId: string) => ({
  externalId,
  customerId,
  currency: 'GBP',
  tranDate: '2026-11-30',
  lines: [
    { itemId: '1000', description: 'Consultant, 12.5 h at 165.50', quantity: '12.5', rate: '165.50', amount: gbp(206875) },
    // A cap write-down leaves an amount that is not hours × rate: it posts as one unit at the amount.
    { itemId: '1000', description: 'Principal, 3 h at 275 (capped)', quantity: '3', rate: '275', amount: gbp(70001) },
    { itemId: '1001', description: 'Travel with 10 % markup', amount: gbp(13200) },
  ],
});

beforeAll(async () => {
  sandbox = await startBusinessCentralSandbox({ ...app, localCurrency: 'GBP' });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const result = receiveBusinessCentral({ query: Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams), body }, [CLIENT_STATE]);
      if (result.kind === 'notifications') received.push({ accepted: result.accepted.length, rejected: result.rejected.length });
      res.writeHead(result.response.statusCode, result.response.headers).end(result.response.body);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhooks/business-central/business-central-uk`;
});

afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('BusinessCentralErp', () => {
  it('finds or creates a customer and a project by numbers derived from their global ids, never twice', async () => {
    const erp = adapter();
    const customer = {
      externalId: '0b7e9a52-4c1d-4e8f-9a2b-3c4d5e6f7a8b',
      name: 'Globex Ltd',
      currency: 'GBP',
      paymentTermsCode: 'NET30',
      taxProfileCode: 'UK-VAT',
      legalEntityId: 'acme-uk',
    };

    const first = await erp.upsertCustomer(customer);
    const again = await erp.upsertCustomer(customer);
    const project = await erp.upsertProject({
      externalId: '9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      name: 'Globex ERP rollout',
      customerId: first.id,
      currency: 'GBP',
    });
    const projectAgain = await erp.upsertProject({
      externalId: '9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      name: 'Globex ERP rollout',
      customerId: first.id,
      currency: 'GBP',
    });

    expect(again).toEqual(first);
    expect(projectAgain).toEqual(project);
    expect(sandbox.customers().filter((c) => c.number === businessCentralNumber(customer.externalId))).toHaveLength(1);
    expect(sandbox.projects()).toHaveLength(1);
  });

  it('posts an invoice with its lines, reads back the number and tax BC assigned, and posts it once however often it is asked', async () => {
    const erp = adapter();
    const { id: customerId } = await erp.upsertCustomer({
      externalId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      name: 'Initech Ltd',
      currency: 'GBP',
      paymentTermsCode: 'NET30',
      taxProfileCode: 'UK-VAT',
      legalEntityId: 'acme-uk',
    });
    const externalId = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d:2026-11-01';

    const posted = await erp.postInvoice(draft(externalId, customerId));
    const again = await erp.postInvoice(draft(externalId, customerId));

    const invoices = sandbox.invoices().filter((i) => i.externalDocumentNumber === invoiceDocumentNumber(externalId));
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.status).toBe('Open');
    expect(again).toEqual(posted);
    expect(posted.invoiceNumber).toMatch(/^PS-INV\d+$/);
    expect(posted.subtotal).toEqual(gbp(206875 + 70001 + 13200));
    expect(posted.tax.amountMinor).toBeGreaterThan(0);
    expect(posted.total.amountMinor).toBe(posted.subtotal.amountMinor + posted.tax.amountMinor);
    expect(invoices[0]!.salesInvoiceLines!.map((l) => [l.quantity, l.unitPrice])).toEqual([
      [12.5, 165.5],
      [1, 700.01],
      [1, 132],
    ]);
  });

  it('carries on with the draft an earlier attempt left when posting failed, and posts it once', async () => {
    const erp = adapter();
    const { id: customerId } = await erp.upsertCustomer({
      externalId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
      name: 'Umbrella Ltd',
      currency: 'GBP',
      paymentTermsCode: 'NET30',
      taxProfileCode: 'UK-VAT',
      legalEntityId: 'acme-uk',
    });
    const externalId = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e:2026-11-01';
    // The draft is created; posting it (POST .../salesInvoices(<id>)/Microsoft.NAV.post) fails once.
    sandbox.injectFault({
      method: 'POST',
      pathPrefix: `/v2.0/${app.tenantId}/${app.environment}/api/v2.0/companies(${sandbox.companyId})/salesInvoices(`,
      times: 1,
      response: { status: 503, json: { error: { code: 'ServiceUnavailable', message: 'try later' } } },
    });
    await expect(erp.postInvoice(draft(externalId, customerId))).rejects.toMatchObject({ name: 'VendorUnavailable' });
    expect(
      sandbox
        .invoices()
        .filter((i) => i.externalDocumentNumber === invoiceDocumentNumber(externalId))
        .map((i) => i.status),
    ).toEqual(['Draft']);

    const posted = await erp.postInvoice(draft(externalId, customerId));

    expect(
      sandbox
        .invoices()
        .filter((i) => i.externalDocumentNumber === invoiceDocumentNumber(externalId))
        .map((i) => [i.status, i.number]),
    ).toEqual([['Open', posted.invoiceNumber]]);
  });

  it.each(['after-commit', 'reset-after-commit'] as const)(
    'makes one customer and one posted invoice when the creates and the post are applied but answered with a failure (%s), then retried',
    async (mode) => {
      const erp = adapter();
      const company = `/v2.0/${app.tenantId}/${app.environment}/api/v2.0/companies(${sandbox.companyId})`;
      const failAfterCommit = (pathPrefix: string) =>
        sandbox.injectFault({ method: 'POST', pathPrefix, mode, response: { status: 502, json: { error: { code: 'BadGateway', message: 'lost' } } } });
      const retried = async <T>(write: () => Promise<T>): Promise<T> => {
        await expect(write()).rejects.toMatchObject({ name: 'VendorUnavailable' });
        return write();
      };
      // The sandbox lives for the whole file: each mode bills its own customer.
      const customer = {
        externalId: mode === 'after-commit' ? '4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a' : '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
        name: `Cyberdyne Ltd (${mode})`,
        currency: 'GBP',
        paymentTermsCode: 'NET30',
        taxProfileCode: 'UK-VAT',
        legalEntityId: 'acme-uk',
      };
      const externalId = `${customer.externalId}:2026-11-01`;

      failAfterCommit(`${company}/customers`);
      const { id: customerId } = await retried(() => erp.upsertCustomer(customer));
      // The first POST of an invoice creates its draft; the second posts it: each is applied, then answered 502.
      failAfterCommit(`${company}/salesInvoices`);
      await expect(erp.postInvoice(draft(externalId, customerId))).rejects.toMatchObject({ name: 'VendorUnavailable' });
      failAfterCommit(`${company}/salesInvoices(`);
      const posted = await retried(() => erp.postInvoice(draft(externalId, customerId)));

      expect(sandbox.customers().filter((c) => c.displayName === customer.name)).toHaveLength(1);
      expect(
        sandbox
          .invoices()
          .filter((i) => i.externalDocumentNumber === invoiceDocumentNumber(externalId))
          .map((i) => [i.status, i.number]),
      ).toEqual([['Open', posted.invoiceNumber]]);
    },
  );

  it('refuses an invoice for a customer BC does not know, by its error code', async () => {
    await expect(adapter().postInvoice(draft('3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f:2026-11-01', '00000000-0000-0000-0000-00000000beef'))).rejects.toMatchObject(
      { name: 'VendorRejected', code: 'Application_DialogException' },
    );
  });

  it('reads a paid invoice a notification names as a payment on our invoice', async () => {
    const erp = adapter();
    const { id: customerId } = await erp.upsertCustomer({
      externalId: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a',
      name: 'Hooli Ltd',
      currency: 'GBP',
      paymentTermsCode: 'NET30',
      taxProfileCode: 'UK-VAT',
      legalEntityId: 'acme-uk',
    });
    const externalId = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a:2026-11-01';
    const posted = await erp.postInvoice(draft(externalId, customerId));
    const resource = `api/v2.0/companies(${sandbox.companyId})/salesInvoices(${posted.id})`;

    const open = await erp.invoiceStatusOf(resource);
    await sandbox.pay(posted.id, (posted.total.amountMinor / 100).toFixed(2));
    const paid = await erp.invoiceStatusOf(resource);
    const events = paymentEvents({ vendor: 'business-central', instance: 'business-central-uk' }, [open!, paid!], 'c-1');

    expect(open).toMatchObject({ amountPaid: gbp(0), amountDue: posted.total });
    expect(paid).toMatchObject({ invoiceNumber: posted.invoiceNumber, amountPaid: posted.total, amountDue: gbp(0) });
    expect(events.map((e) => [e.payload.state, e.payload.invoiceGlobalId, e.source.vendor])).toEqual([
      ['paid', invoiceGlobalId(externalId), 'business-central'],
    ]);
    expect(await erp.invoiceStatusOf(`api/v2.0/companies(${sandbox.companyId})/customers(${customerId})`)).toBeUndefined();
    expect(await erp.invoicesChangedSince(new Date(Date.now() - 60_000).toISOString())).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: posted.id, amountDue: gbp(0) })]),
    );
  });

  it('subscribes our URL, which BC validates by handshake, and renews it for another three days', async () => {
    const erp = adapter();

    const created = await erp.subscribe(receiverUrl, `companies(${sandbox.companyId})/salesInvoices`, CLIENT_STATE);
    const listed = await erp.subscriptions();
    await new Promise((r) => setTimeout(r, 20));
    const renewed = await erp.renew(listed.find((s) => s.subscriptionId === created.subscriptionId)!, CLIENT_STATE);

    expect(listed.map((s) => s.notificationUrl)).toContain(receiverUrl);
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(Date.parse(created.expirationDateTime));
    await expect(erp.renew({ ...renewed, etag: created.etag }, CLIENT_STATE)).rejects.toMatchObject({ name: 'VendorRejected', code: 'Request_EntityChanged' });
  });

  it('keeps the Entra token per container: the next adapter (the next invocation) asks Entra for none', async () => {
    const tokenRequests = () => sandbox.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
    await adapter().subscriptions();
    const before = tokenRequests();

    await adapter().subscriptions();
    await Promise.all([adapter().subscriptions(), adapter().subscriptions()]);

    expect(tokenRequests()).toBe(before);
  });

  it('fetches a new token after BC refuses a revoked one, and fails as authentication with a wrong secret', async () => {
    const erp = adapter();
    await erp.subscriptions();
    sandbox.revokeTokens();

    await expect(erp.subscriptions()).resolves.toBeInstanceOf(Array);
    await expect(adapter({ clientSecret: 'wrong' }).subscriptions()).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
  });

  it('reports 429 as throttling, with the Retry-After BC sent', async () => {
    sandbox.injectFault({
      pathPrefix: '/v2.0/',
      times: 1,
      response: { status: 429, headers: { 'retry-after': '7' }, json: { error: { code: 'Application_TooManyRequests', message: 'slow down' } } },
    });

    await expect(adapter().subscriptions()).rejects.toMatchObject({ name: 'VendorThrottled', retryAfterSeconds: 7 });
  });
});
