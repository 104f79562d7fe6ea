import { afterEach, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../../canonical/deployment-config';
import type { AuditEntry } from '../../../lambdas/common/audit-trail';
import { VendorThrottledError } from '../../../lambdas/common/errors';
import { forgetSalesforceSessions, salesforceSessions } from '../../../lambdas/common/salesforce-platform/oauth';
import { SalesforceCrm } from '../../../lambdas/salesforce/salesforce-crm';
import { adapters } from '../../../lambdas/wiring/adapters';
import { SALESFORCE_LOCAL_FIELDS } from '../../../local/local-environment';
import { clientCredentialsSession } from '../../../local/sandboxes/salesforce/oauth-token-endpoint';
import { type SalesforceSandbox, startSalesforceSandbox } from '../../../local/sandboxes/salesforce/salesforce-sandbox';
import { exampleConfig, exampleConfigInput } from '../../support/example-config';

// The real Salesforce adapter against the sandbox.
const fields = exampleConfig().vendorInstances.find((v) => v.id === 'salesforce-main')!.crm!.fields;
let sandbox: SalesforceSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  forgetSalesforceSessions();
});
const APP = { clientId: '3MVG9TEST.consumer-key', clientSecret: 'consumer-secret' };
const OAUTH = { apps: [{ ...APP, runAs: 'integration@acme.test' }], users: ['integration@acme.test'] };
const SECRET = { flow: 'client-credentials', ...APP };
/** The container's sessions of the instance, by the client credentials flow against the sandbox. */
const sessions = () =>
  salesforceSessions({ call: { vendor: 'salesforce', instance: 'salesforce-main', operation: 'session' }, secret: async () => SECRET, loginUrl: sandbox!.url });
const start = (dailyLimit: number, extraFields: string[] = []) =>
  startSalesforceSandbox({
    oauth: OAUTH,
    dailyLimit,
    fields: { Opportunity: ['Name', fields.syncStatus, fields.syncMessage, fields.erpCustomerId, fields.erpProjectId, fields.psaProjectId, ...extraFields] },
  });
const crm = () =>
  new SalesforceCrm({
    instance: 'salesforce-main',
    baseUrl: sandbox!.url,
    ...sessions(),
    clientId: 'ps-sync',
    fields,
  });
async function opportunity(): Promise<string> {
  const response = await fetch(`${sandbox!.url}/services/data/v64.0/sobjects/Opportunity`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await clientCredentialsSession(sandbox!.url, APP)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ Name: 'Globex' }),
  });
  return ((await response.json()) as { id: string }).id;
}

describe('SalesforceCrm against the Salesforce sandbox', () => {
  it('writes the ids back with our client id, so the change comes back marked as ours', async () => {
    sandbox = await start(100);
    const id = await opportunity();

    await crm().writeBack(id, { erpCustomerId: '1000', syncStatus: 'synced', syncMessage: 'ok' });

    expect(sandbox.record('Opportunity', id)).toMatchObject({ [fields.erpCustomerId]: '1000', [fields.syncStatus]: 'synced' });
    expect(sandbox.writes.at(-1)?.changeOrigin).toContain('client=ps-sync');
  });

  it('runs the OAuth flow once per container, and again after INVALID_SESSION_ID', async () => {
    sandbox = await start(100);
    const id = await opportunity();
    const issuedBefore = sandbox.sessionsIssued.length;

    await crm().writeBack(id, { syncStatus: 'synced', syncMessage: 'first' });
    await crm().writeBack(id, { syncStatus: 'synced', syncMessage: 'kept session' });
    sandbox.expireSessions();
    await expect(crm().writeBack(id, { syncStatus: 'synced', syncMessage: 'after expiry' })).resolves.toBeUndefined();

    expect(sandbox.sessionsIssued.length - issuedBefore).toBe(2);
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/Opportunity/${id}`)).map((r) => r.status)).toEqual([204, 204, 401, 204]);
    expect(sandbox.record('Opportunity', id)?.[fields.syncMessage]).toBe('after expiry');
  });

  it('takes the org URL from the session when the configuration has none', async () => {
    sandbox = await start(100);
    const id = await opportunity();

    await new SalesforceCrm({ instance: 'salesforce-main', ...sessions(), clientId: 'ps-sync', fields }).writeBack(id, {
      syncStatus: 'synced',
      syncMessage: 'ok',
    });

    expect(sandbox.record('Opportunity', id)?.[fields.syncStatus]).toBe('synced');
  });

  it('maps INVALID_FIELD to rejected and REQUEST_LIMIT_EXCEEDED to throttled', async () => {
    sandbox = await startSalesforceSandbox({ oauth: OAUTH, dailyLimit: 3, fields: { Opportunity: ['Name'] } });
    const id = await opportunity();

    await expect(crm().writeBack(id, { syncStatus: 'synced', syncMessage: 'ok' })).rejects.toMatchObject({ name: 'VendorRejected', code: 'INVALID_FIELD' });
    await fetch(`${sandbox.url}/services/data/v64.0/sobjects/Opportunity`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await clientCredentialsSession(sandbox.url, APP)}`, 'content-type': 'application/json' },
      body: '{"Name":"x"}',
    });
    const fresh = crm();
    await expect(fresh.writeBack(id, { syncStatus: 'synced', syncMessage: 'ok' })).rejects.toBeInstanceOf(VendorThrottledError);
  });

  it('slows down before the daily allocation runs out instead of reaching REQUEST_LIMIT_EXCEEDED', async () => {
    sandbox = await start(10);
    const id = await opportunity();
    const adapter = crm();
    const outcomes: string[] = [];

    for (let i = 0; i < 10; i++)
      outcomes.push(
        await adapter.writeBack(id, { syncStatus: 'synced', syncMessage: `run ${i}` }).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );

    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(7);
    expect(outcomes.slice(7)).toEqual(['VendorThrottled', 'VendorThrottled', 'VendorThrottled']);
    expect(sandbox.requests.some((r) => r.status === 403)).toBe(false);
    // The allocation is the org's: an adapter made afresh (the next step, the next relayed record) holds back too.
    await expect(crm().writeBack(id, { syncStatus: 'synced', syncMessage: 'fresh adapter' })).rejects.toMatchObject({ name: 'VendorThrottled' });
  });

  it('writes 250 opportunities in two collection calls and reports the one that failed', async () => {
    sandbox = await start(1000);
    const ids: string[] = [];
    for (let i = 0; i < 249; i++) ids.push(await opportunity());
    const before = sandbox.requests.length;

    const results = await crm().writeBackMany(
      [...ids, '006DELETED'].map((opportunityId) => ({ opportunityId, fields: { syncStatus: 'synced' as const, syncMessage: 'ok' } })),
    );

    // Two API calls; the session's token request is not one of them.
    expect(sandbox.requests.slice(before).filter((r) => r.path.startsWith('/services/data/'))).toHaveLength(2);
    expect(results.filter((r) => r.success)).toHaveLength(249);
    expect(results.find((r) => !r.success)).toEqual({ id: '006DELETED', success: false, errorCode: 'ENTITY_IS_DELETED' });
  });
});

describe('the adapter factory', () => {
  it('gives a Salesforce CRM instance the Salesforce adapter, marked with the deployment name as client', async () => {
    sandbox = await start(100);
    const id = await opportunity();
    const input = exampleConfigInput();
    input.vendorInstances.find((v) => v.id === 'salesforce-main')!.baseUrl = sandbox.url;
    const config = parseDeploymentConfig(input);
    const ports = adapters(
      config,
      async () => SECRET,
      { audit: { record: async () => undefined }, execution: 'e', correlationId: 'c' },
      (_instance, _max, call) => call(),
    );

    await ports.crmFor('salesforce-main').writeBack(id, { syncStatus: 'needs-attention', syncMessage: 'tax profile missing' });

    expect(sandbox.record('Opportunity', id)?.[fields.syncStatus]).toBe('needs-attention');
    expect(sandbox.writes.at(-1)?.changeOrigin).toContain('client=ps-sync');
  });

  describe('reads', () => {
    const backOffice = (path: string, body: unknown) =>
      fetch(`${sandbox!.url}/__sandbox/sobjects/${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
        async (r) => ((await r.json()) as { id: string }).id,
      );
    const full = (audit: AuditEntry[] = []) =>
      new SalesforceCrm({
        instance: 'salesforce-main',
        baseUrl: sandbox!.url,
        ...sessions(),
        clientId: 'ps-sync',
        fields,
        audit: { record: async (e) => void audit.push(e) },
        execution: 'x-1',
        correlationId: 'c-1',
      });

    it('reads an opportunity with its account and line items (by SOQL), and finds won ones since a time, paging through the results', async () => {
      sandbox = await startSalesforceSandbox({
        oauth: OAUTH,
        fields: { ...SALESFORCE_LOCAL_FIELDS, Opportunity: [...SALESFORCE_LOCAL_FIELDS.Opportunity, fields.legalEntity] },
        queryPageSize: 2,
      });
      const account = await backOffice('Account', { Name: "O'Brien & Sons", BillingCountryCode: 'IE' });
      const won: string[] = [];
      for (const name of ['A', 'B', 'C'])
        won.push(await backOffice('Opportunity', { Name: name, StageName: 'Closed Won', AccountId: account, [fields.legalEntity]: 'acme-ie' }));
      await backOffice('Opportunity', { Name: 'D', StageName: 'Prospecting' });
      await backOffice('OpportunityLineItem', { OpportunityId: won[0], Name: 'Consultant', UnitPrice: 150, PS_Line_Type__c: 'rate' });

      const snapshot = await full().readOpportunity(won[0]!);
      const since = await full().wonOpportunitiesSince(['Closed Won', "Won 'Signed'"], new Date(Date.now() - 60_000));

      expect(snapshot).toMatchObject({
        opportunity: { Id: won[0], Name: 'A' },
        account: { Name: "O'Brien & Sons" },
        lineItems: [{ Name: 'Consultant', UnitPrice: 150 }],
      });
      expect(since.map((d) => [d.id, d.legalEntityId])).toEqual(won.map((id) => [id, 'acme-ie']));
      // An id the org does not have is no opportunity, not an error to retry.
      expect(await full().readOpportunity('006000000000MADE')).toBeUndefined();
    });

    it('records each write-back in the audit trail, which the change intake reads as its own-write log', async () => {
      sandbox = await start(100);
      const id = await opportunity();
      const audit: AuditEntry[] = [];

      await full(audit).writeBack(id, { syncStatus: 'synced', syncMessage: 'ok' });

      expect(audit).toEqual([
        expect.objectContaining({
          vendor: 'salesforce',
          instance: 'salesforce-main',
          recordType: 'opportunity',
          recordKey: id,
          operation: 'update',
          execution: 'x-1',
          result: 'ok',
          status: '204',
        }),
      ]);
    });
  });

  it('upserts by external id: created, then updated, and refuses an ambiguous value (300) as the data’s fault', async () => {
    sandbox = await start(100, ['Ext_Id__c']);
    const adapter = crm();

    const first = await adapter.upsertByExternalId('Opportunity', 'Ext_Id__c', 'X-1', { Name: 'A' });
    const second = await adapter.upsertByExternalId('Opportunity', 'Ext_Id__c', 'X-1', { Name: 'B' });
    for (let i = 0; i < 2; i++)
      await fetch(`${sandbox.url}/services/data/v64.0/sobjects/Opportunity`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await clientCredentialsSession(sandbox.url, APP)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Ext_Id__c: 'X-2' }),
      });

    expect([first.created, second.created, second.id]).toEqual([true, false, first.id]);
    expect(sandbox.record('Opportunity', first.id)?.Name).toBe('B');
    await expect(adapter.upsertByExternalId('Opportunity', 'Ext_Id__c', 'X-2', { Name: 'C' })).rejects.toMatchObject({
      name: 'VendorRejected',
      code: 'MULTIPLE_CHOICES',
    });
  });
});
