import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../lambdas/common/audit-trail';
import { KantataPsa } from '../../../lambdas/kantata/kantata-psa';
import type { PsaProjectDraft } from '../../../lambdas/ports/psa';
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
  const project = {
    externalReference: 'g-9',
    name: 'Rollout',
    customerName: 'Globex',
    currency: 'USD',
    billingModel: 'fixed-fee',
    tasks: [{ name: 'Discovery', billable: true }],
    milestones: [],
    rateCard: [],
  };

  it('creates the workspace with its reference and tasks, and finds it again by external reference', async () => {
    kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const adapter = psa();

    const created = await adapter.createProject(project);

    expect(await adapter.findProjectByExternalReference('g-9')).toEqual({ id: created.id });
    expect(await adapter.findProjectByExternalReference('g-unknown')).toBeUndefined();
    expect(kantata.objects('stories')).toEqual([expect.objectContaining({ title: 'Discovery', workspace_id: created.id })]);
  });

  it('maps a 429 without Retry-After to throttled and a 422 to rejected with Kantata’s error type', async () => {
    kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', workspaceCreatesPerWindow: 0 });

    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorThrottled', retryAfterSeconds: undefined });
    kantata.injectFault({
      method: 'POST',
      pathPrefix: '/api/v1/workspaces',
      response: { status: 422, json: { errors: [{ type: 'validation', message: "title can't be blank" }] } },
    });
    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorRejected', code: 'validation' });
  });

  describe('the rate card', () => {
    const withRates: PsaProjectDraft = {
      ...project,
      currency: 'USD',
      tasks: [{ name: 'Discovery', billable: true }],
      milestones: [{ name: 'Design signed off', amount: { amountMinor: 2500000, currency: 'USD' } }],
      rateCard: [
        { role: 'Principal', hourlyRate: '275.00', effectiveFrom: '2026-11-01' },
        { role: 'Consultant', hourlyRate: '165.50', effectiveFrom: '2026-11-01', effectiveTo: '2027-03-31' },
        { role: 'Consultant', hourlyRate: '172.00', effectiveFrom: '2027-04-01' },
      ],
    };
    /** The rates Kantata holds for the workspace, read back through its own objects: date -> role -> cents. */
    const ratesOf = (workspaceId: string) => {
      const workspace = kantata!.objects('workspaces').find((w) => w.id === workspaceId)!;
      const roleName = new Map(kantata!.objects('roles').map((r) => [r.id, r.name]));
      const versions = kantata!.objects('rate_card_versions').filter((v) => v.rate_card_id === workspace.rate_card_id);
      return Object.fromEntries(
        versions.map((v) => [
          v.effective_date,
          Object.fromEntries(
            kantata!
              .objects('rate_card_roles')
              .filter((r) => r.rate_card_version_id === v.id)
              .map((r) => [roleName.get(String(r.role_id)), r.rate]),
          ),
        ]),
      );
    };

    it('builds a rate card set with a version per effective date and points the workspace at it', async () => {
      kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });

      const created = await psa().createProject(withRates);

      expect(ratesOf(created.id)).toEqual({
        '2026-11-01': { Principal: 27500, Consultant: 16550 },
        '2027-04-01': { Principal: 27500, Consultant: 17200 },
      });
      expect(kantata.objects('rate_card_sets')).toHaveLength(1);
    });

    it('refuses a role Kantata does not have before writing anything', async () => {
      kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', roles: ['Principal'] });

      await expect(psa().createProject(withRates)).rejects.toMatchObject({
        name: 'RateCardNotRepresentable',
        message: expect.stringContaining('Kantata has no role named "Consultant"'),
      });
      expect(kantata.objects('workspaces')).toEqual([]);
    });

    it('completes a shell a failure cut short without duplicating what exists, and leaves a complete one alone', async () => {
      kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      kantata.injectFault({
        method: 'POST',
        pathPrefix: '/api/v1/rate_card_sets',
        response: { status: 503, json: { errors: [{ type: 'system', message: 'unavailable' }] } },
      });
      const audit: AuditEntry[] = [];
      await expect(psa(audit).createProject(withRates)).rejects.toMatchObject({ name: 'VendorUnavailable' });
      const found = await psa().findProjectByExternalReference('g-9');

      await psa().completeProject(found!.id, withRates);
      const writesBefore = kantata.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/')).length;
      await psa().completeProject(found!.id, withRates);

      expect(kantata.objects('workspaces')).toHaveLength(1);
      expect(kantata.objects('stories').map((st) => [st.title, st.story_type])).toEqual([
        ['Discovery', 'task'],
        ['Design signed off', 'milestone'],
      ]);
      expect(ratesOf(found!.id)['2027-04-01']).toEqual({ Principal: 27500, Consultant: 17200 });
      // The milestone's story id, which billing knows it by, whether the story was made now or before.
      expect((await psa().completeProject(found!.id, withRates)).milestoneIds).toEqual({
        'Design signed off': kantata.objects('stories').find((st) => st.story_type === 'milestone')!.id,
      });
      expect(kantata.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/')).length).toBe(writesBefore);
    });
  });

  describe('billing', () => {
    const backOffice = async (path: string, body: unknown) =>
      (await (await fetch(`${kantata!.url}/__sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as { id: string };

    it('reads approved time in hours with the role’s name, and expenses in minor units', async () => {
      kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const { id: workspace } = await psa().createProject(project);
      const consultant = kantata.objects('roles').find((r) => r.name === 'Consultant')!.id;
      await backOffice('time_entries', {
        workspace_id: workspace,
        user_id: '7',
        role_id: consultant,
        date_performed: '2026-11-02',
        time_in_minutes: 20,
        approved: true,
        billable: false,
      });
      await backOffice('expenses', {
        workspace_id: workspace,
        user_id: '7',
        date: '2026-11-03',
        category: 'Travel',
        amount_in_cents: 12345,
        currency: 'EUR',
        approved: true,
      });
      await backOffice('time_entries', { workspace_id: workspace, date_performed: '2026-11-02', time_in_minutes: 60 });

      const work = await psa().approvedWorkSince('2020-01-01T00:00:00Z');

      expect(work.map((w) => w.work)).toEqual([
        { kind: 'time', item: { id: expect.any(String), workDate: '2026-11-02', role: 'Consultant', hours: '0.333333333333', billable: false } },
        {
          kind: 'expense',
          item: { id: expect.any(String), incurredOn: '2026-11-03', category: 'Travel', amount: { amountMinor: 12345, currency: 'EUR' }, billable: true },
        },
      ]);
      expect(work.map((w) => [w.projectId, w.resourceId])).toEqual([
        [workspace, '7'],
        [workspace, '7'],
      ]);
    });

    it('records an invoice once: a retry after a crash between the POST and its reference finds the invoice Kantata already made', async () => {
      kantata = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const { id: workspace } = await psa().createProject(project);
      const entry = await backOffice('time_entries', { workspace_id: workspace, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      const invoice = {
        externalId: 'g-9:2026-11-01',
        invoiceNumber: 'INV000007',
        postingDate: '2026-11-30',
        tax: { amountMinor: 0, currency: 'USD' as const },
        total: { amountMinor: 15000, currency: 'USD' as const },
        timeEntryIds: [entry.id],
        expenseIds: [],
      };
      kantata.injectFault({
        method: 'POST',
        pathPrefix: '/api/v1/external_references',
        response: { status: 503, json: { errors: [{ type: 'system', message: 'unavailable' }] } },
      });

      await expect(psa().recordInvoice(workspace, invoice)).rejects.toMatchObject({ name: 'VendorUnavailable' });
      const first = await psa().recordInvoice(workspace, invoice);
      const second = await psa().recordInvoice(workspace, invoice);

      expect(kantata.objects('invoices')).toEqual([expect.objectContaining({ id: first.id, user_invoice_number: 'INV000007', total_in_cents: 15000 })]);
      expect(second).toEqual(first);
    });
  });
});
