import { afterEach, describe, expect, it } from 'vitest';
import { CertiniaSettings, parseDeploymentConfig } from '../../../canonical';
import { timecardDecision } from '../../../lambdas/certinia/approved-work';
import { certiniaFor } from '../../../lambdas/shared/adapters';
import { type CertiniaSandbox, startCertiniaSandbox } from '../../../local/sandboxes/certinia/certinia-sandbox';
import { exampleConfigInput } from '../../support/example-config';

// The real Certinia adapter, built by the factory, against the Certinia sandbox.
let sandbox: CertiniaSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function adapter(url: string, tokens: string[] = ['tok']) {
  const input = exampleConfigInput();
  input.vendorInstances.push({ id: 'certinia-main', vendor: 'certinia', secretName: 'ps-sync/test/certinia-main', baseUrl: url });
  const secrets = async (_id: string, options?: { forceFetch?: boolean }) => ({ accessToken: options?.forceFetch ? 'tok' : tokens[0] });
  return certiniaFor(parseDeploymentConfig(input), 'certinia-main', secrets);
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
    expect(record).toMatchObject({ Id: id, pse__Status__c: 'Approved', pse__Assignment__r: { pse__Role__c: 'Consultant' }, pse__Resource__r: { pse__Resource_Role__c: 'Analyst' } });
    const { events } = timecardDecision({ vendor: 'certinia', instance: 'certinia-main' }, record!, CertiniaSettings.parse({}), 'corr-1');
    expect(events.map((e) => (e.payload as { hours: string; role: string }).hours)).toEqual(['8', '6.5']);
  });

  it('answers undefined for a record that does not exist, and refreshes an expired token once', async () => {
    sandbox = await startCertiniaSandbox({ accessTokens: ['tok'] });

    expect(await adapter(sandbox.url, ['expired']).read('milestone', 'a0XMISSING00000')).toBeUndefined();
  });
});
