import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../lambdas/common/audit-trail';
import { ErpReferenceNotConfiguredError, VendorAuthenticationError, VendorThrottledError, VendorUnavailableError } from '../../../lambdas/common/errors';
import { type NetSuiteCredentials, NetSuiteErp, type NetSuiteOptions } from '../../../lambdas/netsuite/netsuite-erp';
import { clientAssertion } from '../../../lambdas/netsuite/oauth2-m2m';
import { LOCAL_NETSUITE_M2M_CERTIFICATE } from '../../../local/sandboxes/netsuite/local-only-m2m-key';
import { type NetSuiteSandbox, startNetSuiteSandbox } from '../../../local/sandboxes/netsuite/netsuite-sandbox';

// The real adapter against the sandbox: error mapping, credential refresh and audit entries.
const tba = { consumerKey: 'ck', consumerSecret: 'cs', tokenId: 'tk', tokenSecret: 'ts' };
// OAuth 2.0 M2M: the local-only certificate, mapped in the sandbox by its public key.
const m2m = {
  auth: 'oauth2',
  accountId: '123_SB1',
  clientId: 'ns-client',
  certificateId: LOCAL_NETSUITE_M2M_CERTIFICATE.certificateId,
  privateKey: LOCAL_NETSUITE_M2M_CERTIFICATE.privateKey,
} as const;
const m2mSandbox = { clientId: 'ns-client', certificates: { [LOCAL_NETSUITE_M2M_CERTIFICATE.certificateId]: LOCAL_NETSUITE_M2M_CERTIFICATE.publicKey } };
let netsuite: NetSuiteSandbox | undefined;
afterEach(async () => {
  await netsuite?.close();
  netsuite = undefined;
});

function erp(
  credentials: NetSuiteCredentials,
  audit: AuditEntry[] = [],
  refreshed: NetSuiteCredentials = credentials,
  settings: Pick<NetSuiteOptions, 'subsidiaries' | 'currencyIds' | 'paymentTermsIds' | 'taxItemIds'> = {},
) {
  return new NetSuiteErp({
    instance: 'netsuite-us',
    baseUrl: netsuite!.url,
    ...references,
    ...settings,
    credentials: async () => credentials,
    refreshCredentials: async () => refreshed,
    audit: { record: async (e) => void audit.push(e) },
    execution: 'exec-1',
    correlationId: 'corr-1',
  });
}
// The internal ids of the sandbox account's currencies, payment terms and tax items (its defaults), by code.
const references = { currencyIds: { USD: '1', CAD: '3' }, paymentTermsIds: { NET30: '2' }, taxItemIds: { 'US-EXEMPT': '11' } };
const customer = { externalId: 'g-1', name: 'Globex', currency: 'USD', paymentTermsCode: 'NET30', taxProfileCode: 'US-EXEMPT', legalEntityId: 'acme-us' };

describe('NetSuiteErp against the NetSuite sandbox', () => {
  it('upserts a customer with token-based auth, returns the id from Location, and audits the write by payload hash', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const audit: AuditEntry[] = [];
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba }, audit);

    const first = await adapter.upsertCustomer(customer);
    const again = await adapter.upsertCustomer(customer);

    expect(again).toEqual(first);
    expect(netsuite.records('customer')).toHaveLength(1);
    expect(audit.map((a) => [a.operation, a.recordType, a.recordKey, a.result, a.status, a.execution])).toEqual([
      ['upsert', 'customer', 'g-1', 'ok', '204', 'exec-1'],
      ['upsert', 'customer', 'g-1', 'ok', '204', 'exec-1'],
    ]);
  });

  it('maps 429 to throttled, a refused job to rejected with its o:errorCode, and 503 to unavailable', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });
    netsuite.injectFault({ response: { status: 429, json: { 'o:errorDetails': [{ 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }] } } });
    await expect(adapter.upsertCustomer(customer)).rejects.toBeInstanceOf(VendorThrottledError);

    await expect(adapter.upsertProject({ externalId: 'p-1', name: 'P', customerId: '999', currency: 'USD' })).rejects.toMatchObject({
      name: 'VendorRejected',
      code: 'USER_ERROR',
      status: 400,
    });

    netsuite.injectFault({ response: { status: 503, text: 'unavailable' } });
    await expect(adapter.upsertCustomer(customer)).rejects.toBeInstanceOf(VendorUnavailableError);
  });

  it('renews an OAuth 2 token within a minute of its expiry before sending it; a TBA secret refused twice is an authentication failure', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', oauth2: { ...m2mSandbox, tokenTtlSeconds: 30 }, tba });
    const adapter = erp(m2m);

    await adapter.upsertCustomer(customer);
    await adapter.upsertCustomer({ ...customer, externalId: 'g-2' });

    expect(netsuite.requests.filter((r) => r.path.endsWith('/oauth2/v1/token')).map((r) => r.status)).toEqual([200, 200]);
    const wrong = erp({ auth: 'tba', accountId: '123_SB1', ...tba, tokenSecret: 'stale' });
    await expect(wrong.upsertCustomer(customer)).rejects.toBeInstanceOf(VendorAuthenticationError);
  });

  it('sends the legal entity’s subsidiary on customers and jobs, and currencies by internal id, to a OneWorld account', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba, oneWorld: true, subsidiaryIds: ['1', '2'] });
    const settings = { subsidiaries: { 'acme-us': '2' }, currencyIds: { USD: '1' } };
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba }, [], undefined, settings);

    const { id: customerId } = await adapter.upsertCustomer(customer);
    await adapter.upsertProject({ externalId: 'p-1', name: 'Rollout', customerId, currency: 'USD', legalEntityId: 'acme-us' });
    const invoice = await adapter.postInvoice({
      externalId: 'c-1:2026-11',
      customerId,
      currency: 'USD',
      tranDate: '2026-11-30',
      lines: [{ itemId: '101', description: 'Time', amount: { amountMinor: 10000, currency: 'USD' as const } }],
    });

    expect(netsuite.records('customer')).toEqual([expect.objectContaining({ subsidiary: { id: '2' }, currency: { id: '1' } })]);
    expect(netsuite.records('job')).toEqual([expect.objectContaining({ subsidiary: { id: '2' }, parent: { id: customerId }, currency: { id: '1' } })]);
    // The currency read back by its internal id: its refName is the currency record's name, not the ISO code.
    expect(await adapter.invoicesChangedSince('2000-01-01T00:00:00Z')).toEqual([
      expect.objectContaining({ id: invoice.id, total: { amountMinor: 10000, currency: 'USD' } }),
    ]);
    // Without the legal entity's subsidiary the OneWorld account refuses the write; a legal entity missing from the map is a configuration fault.
    await expect(erp({ auth: 'tba', accountId: '123_SB1', ...tba }).upsertCustomer({ ...customer, externalId: 'g-2' })).rejects.toMatchObject({
      name: 'VendorRejected',
      code: 'USER_ERROR',
    });
    await expect(adapter.upsertCustomer({ ...customer, externalId: 'g-3', legalEntityId: 'acme-ca' })).rejects.toThrow(
      /no subsidiary for legal entity acme-ca/,
    );
  });

  it('sets currency, terms and taxItem by the internal ids the instance configures, never by refName', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });

    const { id: customerId } = await adapter.upsertCustomer(customer);
    await adapter.upsertProject({ externalId: 'p-1', name: 'Rollout', customerId, currency: 'CAD' });
    await adapter.postInvoice({
      externalId: 'c-1:2026-11',
      customerId,
      currency: 'USD',
      tranDate: '2026-11-30',
      lines: [{ itemId: '101', description: 'Time', amount: { amountMinor: 10000, currency: 'USD' as const } }],
    });

    expect(netsuite.records('customer')).toEqual([expect.objectContaining({ currency: { id: '1' }, terms: { id: '2' }, taxItem: { id: '11' } })]);
    expect(netsuite.records('job')).toEqual([expect.objectContaining({ currency: { id: '3' } })]);
    expect(netsuite.records('invoice')).toEqual([expect.objectContaining({ currency: { id: '1' } })]);
  });

  it('sends no taxItem when the instance configures no taxItemIds (SuiteTax: tax follows from nexus)', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const audit: AuditEntry[] = [];
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba }, audit, undefined, { taxItemIds: undefined });

    await adapter.upsertCustomer(customer);

    expect(netsuite.records('customer')).toEqual([expect.objectContaining({ terms: { id: '2' } })]);
    expect(netsuite.records('customer')[0]).not.toHaveProperty('taxItem');
    expect(audit[0]?.payload).not.toHaveProperty('taxItem');
  });

  it.each([
    ['a currency missing from currencyIds', {}, { ...customer, currency: 'EUR' }, /netsuite-us has no currencyIds entry for EUR/],
    ['payment terms missing from paymentTermsIds', {}, { ...customer, paymentTermsCode: 'NET45' }, /netsuite-us has no paymentTermsIds entry for NET45/],
    ['a tax profile missing from taxItemIds', {}, { ...customer, taxProfileCode: 'US-OR-STD' }, /netsuite-us has no taxItemIds entry for US-OR-STD/],
    ['any currency when no currencyIds are configured', { currencyIds: undefined }, customer, /netsuite-us has no currencyIds entry for USD/],
    ['any payment terms when no paymentTermsIds are configured', { paymentTermsIds: undefined }, customer, /no paymentTermsIds entry for NET30/],
  ] as const)('refuses a customer with %s as ErpReferenceNotConfigured, before any request', async (_, settings, draft, message) => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const audit: AuditEntry[] = [];
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba }, audit, undefined, settings);

    const failure = adapter.upsertCustomer(draft);

    await expect(failure).rejects.toBeInstanceOf(ErpReferenceNotConfiguredError);
    await expect(failure).rejects.toMatchObject({ name: 'ErpReferenceNotConfigured', message: expect.stringMatching(message) });
    expect(netsuite.requests).toEqual([]);
    expect(audit).toEqual([]);
  });

  it('refuses a job or an invoice in a currency missing from currencyIds as ErpReferenceNotConfigured, before any request', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });
    const line = { itemId: '101', description: 'Time', amount: { amountMinor: 10000, currency: 'GBP' as const } };

    await expect(adapter.upsertProject({ externalId: 'p-1', name: 'Rollout', customerId: '1000', currency: 'GBP' })).rejects.toMatchObject({
      name: 'ErpReferenceNotConfigured',
      message: 'netsuite-us has no currencyIds entry for GBP',
    });
    await expect(
      adapter.postInvoice({ externalId: 'c-1:2026-11', customerId: '1000', currency: 'GBP', tranDate: '2026-11-30', lines: [line] }),
    ).rejects.toBeInstanceOf(ErpReferenceNotConfiguredError);
    expect(netsuite.requests).toEqual([]);
  });

  it('posts an invoice once per contract and period, and reads back the number and tax NetSuite assigned', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba, taxRatePercent: 10 });
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });
    const { id: customerId } = await adapter.upsertCustomer(customer);
    const invoice = {
      externalId: 'c-1:2026-11',
      customerId,
      currency: 'USD',
      tranDate: '2026-11-30',
      lines: [
        { itemId: '101', description: 'Consultant: 7.5 h at 165.5', quantity: '7.5', rate: '165.5', amount: { amountMinor: 124125, currency: 'USD' as const } },
      ],
    };

    const first = await adapter.postInvoice(invoice);
    const retried = await adapter.postInvoice(invoice);

    expect(first).toEqual({
      id: first.id,
      invoiceNumber: 'INV000001',
      subtotal: { amountMinor: 124125, currency: 'USD' },
      tax: { amountMinor: 12413, currency: 'USD' },
      total: { amountMinor: 136538, currency: 'USD' },
    });
    expect(retried).toEqual(first);
    expect(netsuite.records('invoice')).toHaveLength(1);
    await expect(adapter.postInvoice({ ...invoice, externalId: 'c-1:2026-12', lines: [{ ...invoice.lines[0]!, itemId: '999' }] })).rejects.toMatchObject({
      name: 'VendorRejected',
      code: 'USER_ERROR',
    });
  });

  it.each(['after-commit', 'reset-after-commit'] as const)(
    'makes one customer, one job and one invoice when each write is applied but answered with a failure (%s), then retried',
    async (mode) => {
      netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
      const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });
      const failAfterCommit = (type: string) =>
        netsuite!.injectFault({ method: 'PUT', pathPrefix: `/services/rest/record/v1/${type}/eid:`, mode, response: { status: 502, text: 'bad gateway' } });
      const retried = async <T>(write: () => Promise<T>): Promise<T> => {
        await expect(write()).rejects.toBeInstanceOf(VendorUnavailableError);
        return write();
      };

      failAfterCommit('customer');
      const { id: customerId } = await retried(() => adapter.upsertCustomer(customer));
      failAfterCommit('job');
      await retried(() => adapter.upsertProject({ externalId: 'p-1', name: 'Globex rollout', customerId, currency: 'USD' }));
      failAfterCommit('invoice');
      const posted = await retried(() =>
        adapter.postInvoice({
          externalId: 'c-1:2026-11',
          customerId,
          currency: 'USD',
          tranDate: '2026-11-30',
          lines: [{ itemId: '101', description: 'Consultant', amount: { amountMinor: 10000, currency: 'USD' as const } }],
        }),
      );

      expect([netsuite.records('customer').length, netsuite.records('job').length, netsuite.records('invoice').length]).toEqual([1, 1, 1]);
      expect(posted.invoiceNumber).toBe('INV000001');
    },
  );

  it('lists invoices changed since a time with what is paid and due, following the record query', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', tba });
    const adapter = erp({ auth: 'tba', accountId: '123_SB1', ...tba });
    const { id: customerId } = await adapter.upsertCustomer(customer);
    const line = { itemId: '101', description: 'Consultant', amount: { amountMinor: 50000, currency: 'USD' as const } };
    const old = await adapter.postInvoice({ externalId: 'c-1:2026-10-01', customerId, currency: 'USD', tranDate: '2026-10-31', lines: [line] });
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const paid = await adapter.postInvoice({ externalId: 'c-1:2026-11-01', customerId, currency: 'USD', tranDate: '2026-11-30', lines: [line] });
    await fetch(`${netsuite.url}/__sandbox/payments`, { method: 'POST', body: JSON.stringify({ invoice: paid.id, amount: 125.5 }) });

    const changed = await adapter.invoicesChangedSince(since);

    expect(changed.map((i) => i.id)).toEqual([paid.id]);
    expect(changed[0]).toMatchObject({
      externalId: 'c-1:2026-11-01',
      invoiceNumber: paid.invoiceNumber,
      amountPaid: { amountMinor: 12550, currency: 'USD' },
      amountDue: { amountMinor: 37450, currency: 'USD' },
    });
    expect(old.id).not.toBe(paid.id);
  });
});

describe('NetSuiteErp OAuth 2.0 client credentials (M2M)', () => {
  const tokenRequests = () => netsuite!.requests.filter((r) => r.path === '/services/rest/auth/oauth2/v1/token');

  it('signs the assertion NetSuite documents: PS256, typ JWT, kid = certificate id, iss = client id, scope, aud = token URL, exp within 60 minutes', async () => {
    const tokenUrl = 'https://123-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token';

    const jwt = await clientAssertion(m2m, tokenUrl, 1_800_000_000);

    const { payload, protectedHeader } = await jwtVerify(jwt, createPublicKey(LOCAL_NETSUITE_M2M_CERTIFICATE.publicKey), {
      currentDate: new Date(1_800_000_000_000),
    });
    expect(protectedHeader).toEqual({ alg: 'PS256', typ: 'JWT', kid: LOCAL_NETSUITE_M2M_CERTIFICATE.certificateId });
    expect(payload).toMatchObject({ iss: 'ns-client', aud: tokenUrl, scope: ['rest_webservices'], iat: 1_800_000_000 });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);
    await expect(clientAssertion({ ...m2m, algorithm: 'RS256' as never }, tokenUrl)).rejects.toThrow(/PS256/);
  });

  it('keeps the token per container: a second adapter (the next invocation) and concurrent calls reuse one token request', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', oauth2: m2mSandbox });

    await Promise.all([1, 2, 3].map((i) => erp(m2m).upsertCustomer({ ...customer, externalId: `g-${i}` })));
    await erp(m2m).upsertCustomer({ ...customer, externalId: 'g-4' });

    expect(tokenRequests()).toHaveLength(1);
    expect(netsuite.records('customer')).toHaveLength(4);
  });

  it('forgets a token NetSuite refuses, asks for one new token and repeats the call once', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', oauth2: m2mSandbox });
    const adapter = erp(m2m);
    await adapter.upsertCustomer(customer);
    netsuite.revokeTokens();

    await expect(adapter.upsertCustomer({ ...customer, externalId: 'g-2' })).resolves.toMatchObject({ id: expect.stringMatching(/^\d+$/) });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('fails as authentication when NetSuite refuses the assertion (an unmapped certificate) or the secret has the old clientSecret shape', async () => {
    netsuite = await startNetSuiteSandbox({ accountId: '123_SB1', oauth2: m2mSandbox });

    await expect(erp({ ...m2m, certificateId: 'revoked-certificate' }).upsertCustomer(customer)).rejects.toBeInstanceOf(VendorAuthenticationError);
    const oldShape = { auth: 'oauth2', accountId: '123_SB1', clientId: 'ns-client', clientSecret: 'secret' } as unknown as NetSuiteCredentials;
    await expect(erp(oldShape).upsertCustomer(customer)).rejects.toBeInstanceOf(VendorAuthenticationError);
    expect(netsuite.records('customer')).toHaveLength(0);
  });
});
