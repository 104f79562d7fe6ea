import { afterEach, describe, expect, it } from 'vitest';
import { requestSalesforceSession, type SalesforceCredentials } from '../../../lambdas/common/salesforce-platform/oauth';
import { type CertiniaSandbox, type CertiniaSandboxOptions, startCertiniaSandbox } from '../../../local/sandboxes/certinia/certinia-sandbox';
import { LOCAL_CERTINIA_OAUTH } from '../../../local/sandboxes/salesforce/local-oauth';

// Conformance with docs/vendors/certinia.md (Certinia: a Salesforce org with the pse__ package, its changes relayed
// like Salesforce CDC), by plain fetch and the relayed events themselves; the adapter is not used.
let sandbox: CertiniaSandbox | undefined;
const relayed: { source: string; detailType: string; detail: string }[] = [];
let session: string | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  session = undefined;
  relayed.splice(0);
});
const CALL = { vendor: 'certinia', instance: 'certinia-test', operation: 'test' };
/** A session by the JWT bearer flow, as the local Certinia org's integration user. */
const jwtSession = async (credentials: SalesforceCredentials = LOCAL_CERTINIA_OAUTH.secret) =>
  (await requestSalesforceSession(CALL, credentials, sandbox!.url)).accessToken;
const SOURCE = 'aws.partner/salesforce.com/00D0000000CERT1/0YL0000000CERT1';
const start = (options: Partial<CertiniaSandboxOptions> = {}) =>
  startCertiniaSandbox({ oauth: LOCAL_CERTINIA_OAUTH.org, relay: { eventSourceName: SOURCE, put: async (e) => void relayed.push(e) }, ...options });
const api = async (path: string, method: string, body?: unknown, token?: string) =>
  fetch(`${sandbox!.url}/services/data/v64.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token ?? (session ??= await jwtSession())}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const create = async (sobject: string, values: Record<string, unknown>) =>
  ((await (await api(`/sobjects/${sobject}`, 'POST', values)).json()) as { id: string }).id;
const soql = async (query: string) =>
  (await api(`/query?q=${encodeURIComponent(query)}`, 'GET')).json() as Promise<{ records: Record<string, unknown>[] } | { errorCode: string }[]>;
type Change = { payload: Record<string, unknown> & { ChangeEventHeader: Record<string, unknown> } };
const change = (e: { detail: string }) => JSON.parse(e.detail) as Change;

const week = (project: string, resource: string) => ({
  pse__Project__c: project,
  pse__Resource__c: resource,
  pse__Start_Date__c: '2026-11-29',
  pse__End_Date__c: '2026-12-05',
  pse__Sunday_Hours__c: 0,
  pse__Monday_Hours__c: 8,
  pse__Tuesday_Hours__c: 7.5,
  pse__Wednesday_Hours__c: 8,
  pse__Thursday_Hours__c: 0,
  pse__Friday_Hours__c: 4,
  pse__Saturday_Hours__c: 0,
  pse__Status__c: 'Saved',
  pse__Billable__c: true,
});

describe('Certinia sandbox', () => {
  it("takes Certinia's objects and fields through the REST API and refuses an unknown field with INVALID_FIELD", async () => {
    sandbox = await start();
    const project = await create('pse__Proj__c', { Name: 'Initech rollout', CurrencyIsoCode: 'USD', pse__Is_Active__c: true });
    const resource = await create('Contact', { FirstName: 'Ada', LastName: 'Byron', pse__Is_Resource__c: true, pse__Resource_Role__c: 'Consultant' });

    const created = await api('/sobjects/pse__Timecard_Header__c', 'POST', week(project, resource));
    const { id } = (await created.json()) as { id: string };
    const read = (await (await api(`/sobjects/pse__Timecard_Header__c/${id}`, 'GET')).json()) as Record<string, unknown>;
    const unknown = await api('/sobjects/pse__Timecard_Header__c', 'POST', { pse__Project__c: project, pse__Hours__c: 8 });

    expect(created.status).toBe(201);
    expect(resource).toMatch(/^003/);
    expect(read).toMatchObject({
      pse__Start_Date__c: '2026-11-29',
      pse__Monday_Hours__c: 8,
      pse__Tuesday_Hours__c: 7.5,
      LastModifiedDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+0000$/),
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual([{ errorCode: 'INVALID_FIELD', message: expect.any(String), fields: ['pse__Hours__c'] }]);
  });

  it("keeps status to the org's own picklist values, refusing others with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", async () => {
    sandbox = await start({ statusValues: { timecard: ['Saved', 'Submitted', 'Approved by PM', 'Rejected'] } });
    const project = await create('pse__Proj__c', { Name: 'P', CurrencyIsoCode: 'USD' });
    const id = await create('pse__Timecard_Header__c', week(project, '003R'));

    const renamed = await api(`/sobjects/pse__Timecard_Header__c/${id}`, 'PATCH', { pse__Status__c: 'Approved by PM' });
    const shipped = await api(`/sobjects/pse__Timecard_Header__c/${id}`, 'PATCH', { pse__Status__c: 'Approved' });
    const byAPerson = await fetch(`${sandbox.url}/__sandbox/sobjects/pse__Timecard_Header__c/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ pse__Status__c: 'Approved' }),
    });

    expect(renamed.status).toBe(204);
    expect([shipped.status, byAPerson.status]).toEqual([400, 400]);
    expect(await shipped.json()).toEqual([{ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: expect.any(String), fields: ['pse__Status__c'] }]);
    expect(sandbox.record('pse__Timecard_Header__c', id)?.pse__Status__c).toBe('Approved by PM');
  });

  it('relays approving a timecard as pse__Timecard_Header__ChangeEvent with its ChangeEventHeader, the project as enrichment', async () => {
    sandbox = await start();
    const project = await sandbox.createProject({ name: 'Initech rollout', currency: 'USD' });
    const resource = await sandbox.createResource({ firstName: 'Ada', lastName: 'Byron' });
    const id = await sandbox.submitTimecard({ project, resource, weekStart: '2026-11-29', hours: { Monday: 8 } });

    await sandbox.approve('pse__Timecard_Header__c', id);
    await sandbox.settled();

    const approval = relayed.at(-1)!;
    const { payload } = change(approval);
    expect([approval.source, approval.detailType]).toEqual([SOURCE, 'pse__Timecard_Header__ChangeEvent']);
    expect(payload.ChangeEventHeader).toMatchObject({
      entityName: 'pse__Timecard_Header__c',
      recordIds: [id],
      changeType: 'UPDATE',
      changeOrigin: 'com/salesforce/ui',
      commitUser: expect.stringMatching(/^005/),
    });
    expect(payload.ChangeEventHeader.changedFields).toEqual(expect.arrayContaining(['pse__Status__c', 'pse__Approved__c', 'LastModifiedDate']));
    expect(payload.ChangeEventHeader.changedFields).not.toContain('pse__Project__c');
    expect(payload).toMatchObject({ pse__Status__c: 'Approved', pse__Approved__c: true, pse__Project__c: project });
    expect(approval.detail).toMatch(/"commitNumber":\d{16,}[,}]/);
  });

  it('relays expense and milestone changes under their own event names, and not changes to projects or resources', async () => {
    sandbox = await start();
    const project = await sandbox.createProject({ name: 'P', currency: 'USD' });
    const resource = await sandbox.createResource({ firstName: 'Ada', lastName: 'Byron' });
    const expense = await sandbox.submitExpense({ project, resource, date: '2026-11-30', type: 'Airfare', amount: 412.35, currency: 'USD' });
    const milestone = await sandbox.createMilestone({ project, name: 'Design signed off', amount: 25000, currency: 'USD', targetDate: '2026-12-15' });

    await sandbox.approve('pse__Expense__c', expense);
    await sandbox.completeMilestone(milestone, { actualDate: '2026-12-10' });
    await sandbox.settled();

    expect(relayed.map((e) => [e.detailType, change(e).payload.ChangeEventHeader.changeType])).toEqual([
      ['pse__Expense__ChangeEvent', 'CREATE'],
      ['pse__Milestone__ChangeEvent', 'CREATE'],
      ['pse__Expense__ChangeEvent', 'UPDATE'],
      ['pse__Milestone__ChangeEvent', 'UPDATE'],
    ]);
    expect(change(relayed[3]!).payload).toMatchObject({ pse__Status__c: 'Approved', pse__Actual_Date__c: '2026-12-10' });
  });

  it('answers SOQL through a parent relationship with a nested record, null for an empty lookup, and INVALID_FIELD for a field the parent lacks', async () => {
    sandbox = await start();
    const project = await sandbox.createProject({ name: 'P', currency: 'USD' });
    const resource = await sandbox.createResource({ firstName: 'Ada', lastName: 'Byron', role: 'Analyst' });
    const assignment = await sandbox.createAssignment({ project, resource, role: 'Consultant' });
    const assigned = await sandbox.submitTimecard({ project, resource, assignment, weekStart: '2026-11-29', hours: { Monday: 8 } });
    const unassigned = await sandbox.submitTimecard({ project, resource, weekStart: '2026-12-06', hours: { Monday: 8 } });

    const result = await soql(
      `SELECT Id, pse__Assignment__r.pse__Role__c, pse__Resource__r.pse__Resource_Role__c FROM pse__Timecard_Header__c WHERE Id IN ('${assigned}', '${unassigned}') ORDER BY pse__Start_Date__c`,
    );
    const bad = await soql('SELECT Id, pse__Assignment__r.pse__Nope__c FROM pse__Timecard_Header__c');

    expect(
      (result as { records: Record<string, unknown>[] }).records.map(({ pse__Assignment__r, pse__Resource__r }) => [pse__Assignment__r, pse__Resource__r]),
    ).toEqual([
      [
        { attributes: { type: 'pse__Assignment__c' }, pse__Role__c: 'Consultant' },
        { attributes: { type: 'Contact' }, pse__Resource_Role__c: 'Analyst' },
      ],
      [null, { attributes: { type: 'Contact' }, pse__Resource_Role__c: 'Analyst' }],
    ]);
    expect((bad as { errorCode: string }[])[0]!.errorCode).toBe('INVALID_FIELD');
  });
});

describe('Certinia sandbox sessions (the Salesforce platform OAuth flows)', () => {
  const QUERY = `/query?q=${encodeURIComponent('SELECT Id FROM pse__Proj__c')}`;

  it('refuses a static token it never issued, and serves a session issued by the JWT bearer flow', async () => {
    sandbox = await start();

    const old = await api(QUERY, 'GET', undefined, '00DCERT!local-certinia-session-token');
    const issued = await api(QUERY, 'GET');

    expect([old.status, await old.json()]).toEqual([401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]]);
    expect(issued.status).toBe(200);
    expect(sandbox.sessionsIssued).toEqual([{ flow: 'jwt-bearer', username: 'integration@certinia.local' }]);
  });

  it('refuses an assertion for a user the app has not pre-authorized, and the password grant', async () => {
    sandbox = await start();

    const stranger = jwtSession({ ...LOCAL_CERTINIA_OAUTH.secret, username: 'someone@certinia.local' });
    const password = await fetch(`${sandbox.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=x&client_secret=y&username=u&password=p',
    });

    await expect(stranger).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    expect([password.status, await password.json()]).toEqual([400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }]);
  });

  it('expires its sessions, answering INVALID_SESSION_ID until the flow runs again', async () => {
    sandbox = await start();
    const first = await jwtSession();

    sandbox.expireSessions();
    const expired = await api(QUERY, 'GET', undefined, first);
    const renewed = await api(QUERY, 'GET', undefined, await jwtSession());

    expect(expired.status).toBe(401);
    expect(renewed.status).toBe(200);
  });
});
