import { afterEach, describe, expect, it } from 'vitest';
import { CertiniaSettings, parseDeploymentConfig } from '../../../canonical';
import { timecardDecision } from '../../../lambdas/certinia/approved-work';
import { adapters } from '../../../lambdas/wiring/adapters';
import { type CertiniaSandbox, startCertiniaSandbox } from '../../../local/sandboxes/certinia/certinia-sandbox';
import { exampleConfigInput } from '../../support/example-config';

// The real Certinia adapter, built by the factory, against the Certinia sandbox.
let sandbox: CertiniaSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** The adapter, and how often it re-read its secret after a 401. */
function adapter(url: string, tokens: string[] = ['tok']) {
  const input = exampleConfigInput();
  input.vendorInstances.push({ id: 'certinia-main', vendor: 'certinia', secretName: 'ps-sync/test/certinia-main', baseUrl: url });
  const refreshes = { count: 0 };
  const secrets = async (_id: string, options?: { forceFetch?: boolean }) => {
    if (options?.forceFetch) refreshes.count += 1;
    return { accessToken: options?.forceFetch ? 'tok' : tokens[0] };
  };
  const context = { audit: { record: async () => undefined }, execution: 'e', correlationId: 'c' };
  const certinia = adapters(parseDeploymentConfig(input), secrets, context, (_instance, _max, call) => call()).certiniaFor('certinia-main');
  return Object.assign(certinia, { refreshes });
}

describe('CertiniaPsa against the Certinia sandbox', () => {
  it('reads an approved timecard with its role in one query, ready to be decided', async () => {
    sandbox = await startCertiniaSandbox({ accessTokens: ['tok'] });
    const project = await sandbox.createProject({ name: 'Initech rollout', currency: 'USD' });
    const resource = await sandbox.createResource({ firstName: 'Ada', lastName: 'Byron', role: 'Analyst' });
    const assignment = await sandbox.createAssignment({ project, resource, role: 'Consultant' });
    const id = await sandbox.submitTimecard({ project, resource, assignment, weekStart: '2026-11-16', hours: { Monday: 8, Tuesday: 6.5 } });
    await sandbox.approve('pse__Timecard_Header__c', id);
    const before = sandbox.requests.length;

    const record = await adapter(sandbox.url).read('timecard', id);

    expect(sandbox.requests.length - before).toBe(1);
    expect(record).toMatchObject({
      Id: id,
      pse__Status__c: 'Approved',
      pse__Assignment__r: { pse__Role__c: 'Consultant' },
      pse__Resource__r: { pse__Resource_Role__c: 'Analyst' },
    });
    const { events } = timecardDecision({ vendor: 'certinia', instance: 'certinia-main' }, record!, CertiniaSettings.parse({}), 'corr-1');
    expect(events.map((e) => (e.payload as { hours: string; role: string }).hours)).toEqual(['8', '6.5', '0', '0', '0', '0', '0']);
  });

  it('answers undefined for a record that does not exist, and refreshes an expired token once', async () => {
    sandbox = await startCertiniaSandbox({ accessTokens: ['tok'] });
    const certinia = adapter(sandbox.url, ['expired']);

    const record = await certinia.read('milestone', 'a0XMISSING00000');

    expect(record).toBeUndefined();
    // The expired token is refused once, the secret re-read once, and the query sent again with the new token.
    expect(certinia.refreshes.count).toBe(1);
    expect(sandbox.requests.filter((r) => r.path.endsWith('/query')).map((r) => r.status)).toEqual([401, 200]);
  });

  it('refreshes only once: a refreshed token that is refused too is a credentials problem for a person', async () => {
    sandbox = await startCertiniaSandbox({ accessTokens: ['another'] });
    const certinia = adapter(sandbox.url, ['expired']);

    await expect(certinia.read('milestone', 'a0XMISSING00000')).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    expect(certinia.refreshes.count).toBe(1);
    expect(sandbox.requests.filter((r) => r.path.endsWith('/query')).map((r) => r.status)).toEqual([401, 401]);
  });
});
