import { afterEach, describe, expect, it } from 'vitest';
import { type SalesforceSandbox, startSalesforceSandbox } from '../../../local/sandboxes/salesforce/salesforce-sandbox';

// Conformance with VENDORS.md (Salesforce REST), by plain fetch.
let sandbox: SalesforceSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});
const api = (path: string, method: string, body?: unknown, token = 'tok') =>
  fetch(`${sandbox!.url}/services/data/v64.0${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Sforce-Call-Options': 'client=ps-sync' }, ...(body ? { body: JSON.stringify(body) } : {}) });
const start = (dailyLimit = 100) => startSalesforceSandbox({ accessTokens: ['tok'], dailyLimit, fields: { Opportunity: ['Name', 'StageName', 'ERP_Id__c', 'Ext_Id__c'] } });

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

    expect(await (await api('/sobjects/Opportunity', 'POST', { Name: 'A' }, 'expired')).json()).toEqual([expect.objectContaining({ errorCode: 'INVALID_SESSION_ID' })]);
    await api('/sobjects/Opportunity', 'POST', { Name: 'A' });
    await api('/sobjects/Opportunity', 'POST', { Name: 'B' });
    const over = await api('/sobjects/Opportunity', 'POST', { Name: 'C' });
    expect(over.status).toBe(403);
    expect(await over.json()).toEqual([expect.objectContaining({ errorCode: 'REQUEST_LIMIT_EXCEEDED' })]);
  });

  it('answers collections with 200 and per-item results, and rolls all back with allOrNone', async () => {
    sandbox = await start();
    const { id } = (await (await api('/sobjects/Opportunity', 'POST', { Name: 'A' })).json()) as { id: string };
    const records = [{ attributes: { type: 'Opportunity' }, id, StageName: 'Closed Won' }, { attributes: { type: 'Opportunity' }, id: '006MISSING', StageName: 'Closed Won' }];

    const partial = await api('/composite/sobjects', 'PATCH', { allOrNone: false, records });
    const rolledBack = await api('/composite/sobjects', 'PATCH', { allOrNone: true, records: records.map((r) => ({ ...r, StageName: 'Closed Lost' })) });
    const tooMany = await api('/composite/sobjects', 'PATCH', { records: Array.from({ length: 201 }, () => records[0]) });

    expect(partial.status).toBe(200);
    expect(((await partial.json()) as { success: boolean }[]).map((r) => r.success)).toEqual([true, false]);
    expect(((await rolledBack.json()) as { errors: { statusCode: string }[] }[])[0]!.errors[0]!.statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(sandbox.record('Opportunity', id)?.StageName).toBe('Closed Won');
    expect(tooMany.status).toBe(400);
  });
});
