import { afterEach, describe, expect, it } from 'vitest';
import { CertiniaSettings, parseDeploymentConfig } from '../../../canonical';
import { timecardDecision } from '../../../lambdas/certinia/approved-work';
import { forgetSalesforceSessions } from '../../../lambdas/common/salesforce-platform/oauth';
import { adapters } from '../../../lambdas/wiring/adapters';
import { type CertiniaSandbox, startCertiniaSandbox } from '../../../local/sandboxes/certinia/certinia-sandbox';
import { LOCAL_CERTINIA_OAUTH } from '../../../local/sandboxes/salesforce/local-oauth';
import { exampleConfigInput } from '../../support/example-config';

// The real Certinia adapter, built by the factory, against the Certinia sandbox.
let sandbox: CertiniaSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  forgetSalesforceSessions();
});
const oauth = LOCAL_CERTINIA_OAUTH.org;

/** The adapter (its secret the JWT bearer flow's, `refreshed` after a refused session), and how often it re-read its secret. */
function adapter(url: string, refreshed: Record<string, unknown> = LOCAL_CERTINIA_OAUTH.secret) {
  const input = exampleConfigInput();
  input.vendorInstances.push({ id: 'certinia-main', vendor: 'certinia', secretName: 'ps-sync/test/certinia-main', baseUrl: url });
  const refreshes = { count: 0 };
  const secrets = async (_id: string, options?: { forceFetch?: boolean }) => {
    if (options?.forceFetch) refreshes.count += 1;
    return options?.forceFetch ? refreshed : LOCAL_CERTINIA_OAUTH.secret;
  };
  const context = { audit: { record: async () => undefined }, execution: 'e', correlationId: 'c' };
  const certinia = adapters(parseDeploymentConfig(input), secrets, context, (_instance, _max, call) => call()).certiniaFor('certinia-main');
  return Object.assign(certinia, { refreshes });
}

describe('CertiniaPsa against the Certinia sandbox', () => {
  it('reads an approved timecard with its role in one query, ready to be decided', async () => {
    sandbox = await startCertiniaSandbox({ oauth });
    const project = await sandbox.createProject({ name: 'Initech rollout', currency: 'USD' });
    const resource = await sandbox.createResource({ firstName: 'Ada', lastName: 'Byron', role: 'Analyst' });
    const assignment = await sandbox.createAssignment({ project, resource, role: 'Consultant' });
    const id = await sandbox.submitTimecard({ project, resource, assignment, weekStart: '2026-11-16', hours: { Monday: 8, Tuesday: 6.5 } });
    await sandbox.approve('pse__Timecard_Header__c', id);
    const before = sandbox.requests.length;

    const record = await adapter(sandbox.url).read('timecard', id);

    expect(sandbox.requests.slice(before).filter((r) => r.path.startsWith('/services/data/'))).toHaveLength(1);
    expect(record).toMatchObject({
      Id: id,
      pse__Status__c: 'Approved',
      pse__Assignment__r: { pse__Role__c: 'Consultant' },
      pse__Resource__r: { pse__Resource_Role__c: 'Analyst' },
    });
    const { events } = timecardDecision({ vendor: 'certinia', instance: 'certinia-main' }, record!, CertiniaSettings.parse({}), 'corr-1');
    expect(events.map((e) => (e.payload as { hours: string; role: string }).hours)).toEqual(['8', '6.5', '0', '0', '0', '0', '0']);
  });

  it('answers undefined for a record that does not exist, and runs the JWT bearer flow again once its session expired', async () => {
    sandbox = await startCertiniaSandbox({ oauth });
    const certinia = adapter(sandbox.url);
    await certinia.read('milestone', 'a0XMISSING00000');

    sandbox.expireSessions();
    const record = await certinia.read('milestone', 'a0XMISSING00001');

    expect(record).toBeUndefined();
    // The expired session is refused once, the secret re-read once, a new session issued and the query sent again.
    expect(certinia.refreshes.count).toBe(1);
    expect(sandbox.sessionsIssued).toEqual([
      { flow: 'jwt-bearer', username: 'integration@certinia.local' },
      { flow: 'jwt-bearer', username: 'integration@certinia.local' },
    ]);
    expect(sandbox.requests.filter((r) => r.path.endsWith('/query')).map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('refreshes only once: a secret the org refuses is a credentials problem for a person', async () => {
    sandbox = await startCertiniaSandbox({ oauth });
    const certinia = adapter(sandbox.url, { ...LOCAL_CERTINIA_OAUTH.secret, username: 'not-authorized@certinia.local' });
    await certinia.read('milestone', 'a0XMISSING00000');

    sandbox.expireSessions();

    await expect(certinia.read('milestone', 'a0XMISSING00000')).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    expect(certinia.refreshes.count).toBe(1);
    expect(sandbox.requests.filter((r) => r.path.endsWith('/query')).map((r) => r.status)).toEqual([200, 401]);
  });

  it('refuses a secret holding a static accessToken, which nothing would renew', async () => {
    sandbox = await startCertiniaSandbox({ oauth });
    const input = exampleConfigInput();
    input.vendorInstances.push({ id: 'certinia-main', vendor: 'certinia', secretName: 'ps-sync/test/certinia-main', baseUrl: sandbox.url });
    const context = { audit: { record: async () => undefined }, execution: 'e', correlationId: 'c' };
    const stale = adapters(
      parseDeploymentConfig(input),
      async () => ({ accessToken: '00DCERT!local-certinia-session-token' }),
      context,
      (_i, _m, call) => call(),
    );

    await expect(stale.certiniaFor('certinia-main').read('milestone', 'a0XMISSING00000')).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    expect(sandbox.requests).toEqual([]);
  });
});
