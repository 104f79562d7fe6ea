import { afterEach, describe, expect, it } from 'vitest';
import { VendorAuthenticationError } from '../../../lambdas/common/errors';
import { HubSpotCrm } from '../../../lambdas/hubspot/hubspot-crm';
import { type HubSpotSandbox, startHubSpotSandbox } from '../../../local/sandboxes/hubspot/hubspot-sandbox';
import { exampleConfig } from '../../support/example-config';

// The real HubSpot adapter against the sandbox.
const fields = exampleConfig().vendorInstances.find((v) => v.id === 'hubspot-main')!.crm!.fields;
let sandbox: HubSpotSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function crm(token: string, refreshed = token) {
  return new HubSpotCrm({ instance: 'hubspot-main', baseUrl: sandbox!.url, accessToken: async () => token, refreshAccessToken: async () => refreshed, fields });
}
async function seed(): Promise<string> {
  for (const name of [fields.syncStatus, fields.syncMessage, fields.erpCustomerId]) {
    await fetch(`${sandbox!.url}/crm/v3/properties/deals`, {
      method: 'POST',
      headers: { authorization: 'Bearer pat-1', 'content-type': 'application/json' },
      body: JSON.stringify({ name, label: name, type: 'string', fieldType: 'text', groupName: 'g' }),
    });
  }
  const response = await fetch(`${sandbox!.url}/__sandbox/deals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      deal: { dealname: 'D', dealstage: 'closedwon' },
      company: { name: 'Globex', country: 'US' },
      lineItems: [{ name: 'Consultant', price: '150' }],
    }),
  });
  return ((await response.json()) as { id: string }).id;
}

describe('HubSpotCrm against the HubSpot sandbox', () => {
  it('reads a deal with its company and line items, and writes the sync fields back', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    const id = await seed();

    const snapshot = await crm('pat-1').readDeal(id);
    await crm('pat-1').writeBack(id, { erpCustomerId: '1000', syncStatus: 'synced', syncMessage: 'ok' });

    expect(snapshot).toMatchObject({
      deal: { id, properties: { dealstage: 'closedwon' } },
      company: { properties: { name: 'Globex' } },
      lineItems: [{ properties: { name: 'Consultant', price: '150' } }],
    });
    expect(sandbox.object('deals', id)?.properties).toMatchObject({ [fields.erpCustomerId]: '1000', [fields.syncStatus]: 'synced' });
  });

  it('maps a 429 to throttled and an undefined property to rejected with its category', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    const id = await seed();
    sandbox.injectFault({ response: { status: 429, headers: { 'retry-after': '2' }, json: { status: 'error', category: 'RATE_LIMITS', message: 'limit' } } });

    await expect(crm('pat-1').readDeal(id)).rejects.toMatchObject({ name: 'VendorThrottled', retryAfterSeconds: 2 });
    await expect(crm('pat-1').writeBack(id, { psaProjectId: '9', syncStatus: 'synced', syncMessage: 'ok' })).rejects.toMatchObject({
      name: 'VendorRejected',
      code: 'VALIDATION_ERROR',
      status: 400,
    });
  });

  it('retries once with a refreshed token after a 401, and fails as authentication when that is refused too', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    const id = await seed();

    await expect(crm('pat-revoked', 'pat-1').readDeal(id)).resolves.toMatchObject({ deal: { id } });
    await expect(crm('pat-revoked', 'pat-also-revoked').readDeal(id)).rejects.toBeInstanceOf(VendorAuthenticationError);
  });

  it('writes billing health to the company, and refuses a property the portal lacks as rejected', async () => {
    sandbox = await startHubSpotSandbox({ portalId: 1, clientSecret: 's', accessTokens: ['pat-1'] });
    await seed();
    const companyId = sandbox.objects('companies')[0]!.id;
    const health = { status: 'invoiced' as const, lastInvoiceNumber: 'INV000001', lastInvoiceDate: '2026-11-30', lastInvoiceTotal: '3247.25 USD' };

    await expect(crm('pat-1').writeBillingHealth(companyId, health)).rejects.toMatchObject({ name: 'VendorRejected' });
    for (const name of [fields.billingStatus, fields.lastInvoiceNumber, fields.lastInvoiceDate, fields.lastInvoiceTotal]) {
      await fetch(`${sandbox.url}/crm/v3/properties/companies`, {
        method: 'POST',
        headers: { authorization: 'Bearer pat-1', 'content-type': 'application/json' },
        body: JSON.stringify({ name, label: name, type: 'string', fieldType: 'text', groupName: 'g' }),
      });
    }
    await crm('pat-1').writeBillingHealth(companyId, health);

    expect(sandbox.object('companies', companyId)?.properties).toMatchObject({
      [fields.billingStatus]: 'invoiced',
      [fields.lastInvoiceNumber]: 'INV000001',
      [fields.lastInvoiceTotal]: '3247.25 USD',
    });
  });
});
