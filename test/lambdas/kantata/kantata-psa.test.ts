import { afterEach, describe, expect, it } from 'vitest';
import { KantataPsa } from '../../../lambdas/kantata/kantata-psa';
import type { AuditEntry } from '../../../lambdas/shared/audit-trail';
import { type KantataSandbox, startKantataSandbox } from '../../../local/sandboxes/kantata/kantata-sandbox';

// The real adapter against the sandbox.
let kantata: KantataSandbox | undefined;
afterEach(async () => {
  await kantata?.close();
  kantata = undefined;
});

describe('KantataPsa against the Kantata sandbox', () => {
  const psa = (audit: AuditEntry[] = []) =>
    new KantataPsa({
      instance: 'kantata-global',
      baseUrl: kantata!.url,
      credentials: async () => ({ clientId: 'kid', clientSecret: 'ksecret' }),
      refreshCredentials: async () => ({ clientId: 'kid', clientSecret: 'ksecret' }),
      audit: { record: async (e) => void audit.push(e) },
      execution: 'exec-1',
      correlationId: 'corr-1',
    });
  const project = { externalReference: 'g-9', name: 'Rollout', customerName: 'Globex', currency: 'USD', billingModel: 'fixed-fee', tasks: [{ name: 'Discovery', billable: true }], milestones: [], rateCard: [] };

  it('creates the workspace with its reference and tasks, and finds it again by external reference', async () => {
    kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const adapter = psa();

    const created = await adapter.createProject(project);

    expect(await adapter.findProjectByExternalReference('g-9')).toEqual(created);
    expect(await adapter.findProjectByExternalReference('g-unknown')).toBeUndefined();
    expect(kantata.objects('stories')).toEqual([expect.objectContaining({ title: 'Discovery', workspace_id: created.id })]);
  });

  it('maps a 429 without Retry-After to throttled and a 422 to rejected with Kantata’s error type', async () => {
    kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', workspaceCreatesPerWindow: 0 });

    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorThrottled', retryAfterSeconds: undefined });
    kantata.injectFault({ method: 'POST', pathPrefix: '/api/v1/workspaces', response: { status: 422, json: { errors: [{ type: 'validation', message: "title can't be blank" }] } } });
    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorRejected', code: 'validation' });
  });
});
