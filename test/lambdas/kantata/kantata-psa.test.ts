import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OWNERSHIP } from '../../../canonical/ownership';
import type { AuditEntry } from '../../../lambdas/common/audit-trail';
import { isRetryable, remediationFor } from '../../../lambdas/common/errors';
import type { WriteJournal } from '../../../lambdas/common/write-journal';
import { KantataPsa } from '../../../lambdas/kantata/kantata-psa';
import { addPsaProjectPlan, applyPsaRateCard, createPsaProject, psaDraft } from '../../../lambdas/opportunity-to-project/steps';
import { type ValidOpportunity, validateOpportunity } from '../../../lambdas/opportunity-to-project/validate-opportunity';
import type { PsaProjectDraft } from '../../../lambdas/ports/psa';
import { type KantataSandbox, startKantataSandbox } from '../../../local/sandboxes/kantata/kantata-sandbox';
import { exampleConfig } from '../../support/example-config';
import { InMemoryWriteJournal } from '../../support/in-memory-journal';
import { InMemoryRegistry } from '../../support/in-memory-registry';
import { wonDeal } from '../../support/opportunity-fixture';

// The real adapter against the sandbox.
let kantata: KantataSandbox | undefined;
/** The Kantata application's OAuth token the instance's secret holds. */
const TOKEN = 'app-token-0001';
afterEach(async () => {
  await kantata?.close();
  kantata = undefined;
});

/** The ERP invoice of one time entry, as RecordInvoiceInPsa hands it to the adapter. */
const invoiceOf = (timeEntryId: string) => ({
  externalId: 'g-9:2026-11-01',
  invoiceNumber: 'INV000007',
  postingDate: '2026-11-30',
  tax: { amountMinor: 0, currency: 'USD' as const },
  total: { amountMinor: 15000, currency: 'USD' as const },
  timeEntryIds: [timeEntryId],
  expenseIds: [],
});
describe('KantataPsa against the Kantata sandbox', () => {
  const psa = (audit: AuditEntry[] = [], journal?: WriteJournal, secret: { cached: string; fresh: string } = { cached: TOKEN, fresh: TOKEN }) =>
    new KantataPsa({
      ...(journal ? { journal } : {}),
      instance: 'kantata-global',
      baseUrl: kantata!.url,
      credentials: async () => ({ accessToken: secret.cached }),
      refreshCredentials: async () => ({ accessToken: secret.fresh }),
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

  /** The three parts of the shell, as the state machine runs them. */
  const build = async (adapter: KantataPsa, draft: PsaProjectDraft) => {
    await adapter.checkProject(draft);
    const { id } = await adapter.createProject(draft);
    const { milestoneIds } = await adapter.ensurePlan(id, draft);
    await adapter.ensureRateCard(id, draft);
    return { id, milestoneIds };
  };

  it('creates the workspace and its reference in one request, with the budget in whole units, and finds it again', async () => {
    kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
    const adapter = psa();

    const created = await build(adapter, { ...project, budget: { amountMinor: 12_500_050, currency: 'USD' } });

    expect(await adapter.findProjectByExternalReference('g-9')).toEqual({ id: created.id });
    expect(await adapter.findProjectByExternalReference('g-unknown')).toBeUndefined();
    // Half to even: 125,000.50 is 125,000 whole dollars, Kantata's `price`.
    expect(kantata.objects('workspaces')).toEqual([expect.objectContaining({ id: created.id, creator_role: 'maven', price: 125000, currency: 'USD' })]);
    expect(kantata.objects('stories')).toEqual([expect.objectContaining({ title: 'Discovery', workspace_id: created.id })]);
    expect(kantata.objects('external_references').map((r) => [r.subject_type, r.subject_id, r.service_model_ref])).toEqual([
      ['Workspace', created.id, 'g-9'],
      ['Story', kantata.objects('stories')[0]!.id, 'g-9/task/Discovery'],
    ]);
    // One POST each: the references travelled inside their records' creates.
    expect(kantata.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/')).map((r) => r.path)).toEqual([
      '/api/v1/workspaces.json',
      '/api/v1/stories.json',
    ]);
  });

  it('maps a 429 without Retry-After to throttled and a 422 to rejected with Kantata’s error type', async () => {
    kantata = await startKantataSandbox({ accessTokens: [TOKEN], workspaceCreatesPerWindow: 0 });

    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorThrottled', retryAfterSeconds: undefined });
    kantata.injectFault({
      method: 'POST',
      pathPrefix: '/api/v1/workspaces',
      response: { status: 422, json: { errors: [{ type: 'validation', message: "title can't be blank" }] } },
    });
    await expect(psa().createProject(project)).rejects.toMatchObject({ name: 'VendorRejected', code: 'validation' });
  });

  it('finds a task again by its reference after a person renamed it in Kantata', async () => {
    kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
    const { id } = await build(psa(), project);
    await fetch(`${kantata.url}/__sandbox/stories/${kantata.objects('stories')[0]!.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Discovery (phase 1)' }),
    });

    await psa().ensurePlan(id, project);

    expect(kantata.objects('stories').map((st) => st.title)).toEqual(['Discovery (phase 1)']);
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
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });

      const created = await build(psa(), withRates);

      expect(ratesOf(created.id)).toEqual({
        '2026-11-01': { Principal: 27500, Consultant: 16550 },
        '2027-04-01': { Principal: 27500, Consultant: 17200 },
      });
      expect(kantata.objects('rate_card_sets')).toHaveLength(1);
    });

    it('refuses a role Kantata does not have before writing anything', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN], roles: ['Principal'] });

      await expect(psa().checkProject(withRates)).rejects.toMatchObject({
        name: 'RateCardNotRepresentable',
        message: expect.stringContaining('Kantata has no role named "Consultant"'),
      });
      expect(kantata.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/'))).toEqual([]);
    });

    it('resumes a rate card a failure cut short without duplicating what exists, and leaves a complete one alone', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const { id } = await psa().createProject(withRates);
      await psa().ensurePlan(id, withRates);
      const unavailable = { status: 503, json: { errors: [{ type: 'system', message: 'unavailable' }] } };
      // The first attempt stops at the first role rate (set, first version and card exist), the second at the last write.
      kantata.injectFault({ method: 'POST', pathPrefix: '/api/v1/rate_card_roles', response: unavailable });
      await expect(psa().ensureRateCard(id, withRates)).rejects.toMatchObject({ name: 'VendorUnavailable' });
      kantata.injectFault({ method: 'PUT', pathPrefix: '/api/v1/workspaces', response: unavailable });
      await expect(psa().ensureRateCard(id, withRates)).rejects.toMatchObject({ name: 'VendorUnavailable' });
      await expect(psa().ensureRateCard(id, withRates)).resolves.toMatchObject({ rateCardId: expect.any(String) });
      const writesBefore = kantata.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/')).length;

      await psa().ensureRateCard(id, withRates);
      const { milestoneIds } = await psa().ensurePlan(id, withRates);

      expect(kantata.objects('rate_card_sets')).toHaveLength(1);
      expect(kantata.objects('rate_cards')).toHaveLength(1);
      expect(ratesOf(id)).toEqual({
        '2026-11-01': { Principal: 27500, Consultant: 16550 },
        '2027-04-01': { Principal: 27500, Consultant: 17200 },
      });
      // The milestone's story id, which billing knows it by, whether the story was made now or before.
      expect(milestoneIds).toEqual({ 'Design signed off': kantata.objects('stories').find((st) => st.story_type === 'milestone')!.id });
      expect(kantata.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/')).length).toBe(writesBefore);
    });

    it('resumes from its write journal: a retry sends only the writes still missing and looks only for the one in doubt', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const journal = new InMemoryWriteJournal();
      const { id } = await psa([], journal).createProject(withRates);
      kantata.injectFault({ method: 'POST', pathPrefix: '/api/v1/rate_card_roles', times: 1, response: { status: 429, json: { errors: [] } } });
      await expect(psa([], journal).ensureRateCard(id, withRates)).rejects.toMatchObject({ name: 'VendorThrottled' });
      const before = kantata.requests.length;

      await psa([], journal).ensureRateCard(id, withRates);

      // The one role rate sent without an answer looked for, the four role rates and pointing the
      // workspace: the roles, the set, its versions and the card are known from the journal.
      expect(
        kantata.requests
          .slice(before)
          .filter((r) => r.path.startsWith('/api/'))
          .map((r) => `${r.method} ${r.path}`),
      ).toEqual([
        'GET /api/v1/rate_card_roles.json',
        ...Array.from({ length: 4 }, () => 'POST /api/v1/rate_card_roles.json'),
        `PUT /api/v1/workspaces/${id}.json`,
      ]);
      expect(ratesOf(id)['2027-04-01']).toEqual({ Principal: 27500, Consultant: 17200 });
    });

    it('finds the plan and rate card of a project made before the journal existed, and makes neither again', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const { id } = await build(psa(), withRates);
      const journal = new InMemoryWriteJournal();

      // The next revision, after the journal was deployed: the plan is journalled first, then the rate card.
      await psa([], journal).ensurePlan(id, withRates);
      await psa([], journal).ensureRateCard(id, withRates);

      expect([kantata.objects('stories').length, kantata.objects('rate_card_sets').length, kantata.objects('rate_cards').length]).toEqual([2, 1, 1]);
    });

    it('reads the card versions again when a later revision adds an effective date to a rate card left unfinished', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const journal = new InMemoryWriteJournal();
      const { id } = await psa([], journal).createProject(withRates);
      kantata.injectFault({
        method: 'POST',
        pathPrefix: '/api/v1/rate_card_roles',
        response: { status: 422, json: { errors: [{ type: 'validation', message: 'no' }] } },
      });
      await expect(psa([], journal).ensureRateCard(id, withRates)).rejects.toMatchObject({ name: 'VendorRejected' });
      const revised = { ...withRates, rateCard: [...withRates.rateCard, { role: 'Principal', hourlyRate: '290.00', effectiveFrom: '2027-07-01' }] };
      revised.rateCard[0] = { ...revised.rateCard[0]!, effectiveTo: '2027-06-30' };

      await psa([], journal).ensureRateCard(id, revised);

      expect(ratesOf(id)['2027-07-01']).toEqual({ Principal: 29000, Consultant: 17200 });
      expect(kantata.objects('rate_cards')).toHaveLength(1);
    });

    // Fail after commit: Kantata applies the POST and the caller sees an error. Each part is retried
    // as the state machine retries it; every record must exist once.
    it.each(
      (
        [
          ['workspaces', 'after-commit'],
          ['stories', 'after-commit'],
          ['rate_card_sets', 'after-commit'],
          ['rate_card_set_versions', 'reset-after-commit'],
          ['rate_cards', 'after-commit'],
          ['rate_card_roles', 'reset-after-commit'],
          ['workspaces/', 'after-commit'],
        ] as const
      ).flatMap(([collection, mode]) => [
        [collection, mode, 'with'],
        [collection, mode, 'without'],
      ]) as [string, 'after-commit' | 'reset-after-commit', 'with' | 'without'][],
    )('makes every record once when a write to %s is applied and its answer lost (%s), %s a write journal', async (collection, mode, journalled) => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const registry = new InMemoryRegistry();
      const event = wonDeal();
      const ctx = { execution: 'exec-1', event, validation: validateOpportunity(event, exampleConfig(), 'us-east-1') as ValidOpportunity };
      const journal = journalled === 'with' ? new InMemoryWriteJournal() : undefined;
      const deps = {
        psa: psa([], journal),
        registry,
        vendorOf: () => 'kantata' as const,
        journal: journal ?? new InMemoryWriteJournal(),
        policy: DEFAULT_OWNERSHIP,
        recordRefusals: async () => undefined,
        now: () => new Date(),
      };
      kantata.injectFault({
        method: collection === 'workspaces/' ? 'PUT' : 'POST',
        pathPrefix: `/api/v1/${collection}`,
        mode,
        ...(mode === 'after-commit' ? { response: { status: 502, json: { errors: [{ type: 'system', message: 'bad gateway' }] } } } : {}),
      });
      const retried = async <T>(part: () => Promise<T>): Promise<T> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await part();
          } catch (error) {
            if (attempt === 3 || (error as Error).name !== 'VendorUnavailable') throw error;
          }
        }
      };

      const { psaProjectId } = await retried(() => createPsaProject(ctx, deps));
      await retried(() => addPsaProjectPlan(ctx, psaProjectId, deps));
      await retried(() => applyPsaRateCard(ctx, psaProjectId, deps));

      const draft = psaDraft(ctx);
      const roles = new Set(draft.rateCard.map((line) => line.role)).size;
      const versions = new Set(draft.rateCard.map((line) => line.effectiveFrom)).size;
      expect({
        workspaces: kantata.objects('workspaces').length,
        stories: kantata.objects('stories').length,
        sets: kantata.objects('rate_card_sets').length,
        setVersions: kantata.objects('rate_card_set_versions').length,
        cards: kantata.objects('rate_cards').length,
        roles: kantata.objects('rate_card_roles').length,
      }).toEqual({
        workspaces: 1,
        stories: draft.tasks.length + draft.milestones.length,
        sets: 1,
        setVersions: versions,
        cards: 1,
        roles: roles * versions,
      });
      expect(kantata.objects('workspaces')[0]!.rate_card_id).toBe(kantata.objects('rate_cards')[0]!.id);
      expect(kantata.requests.some((r) => r.status === 502 || r.status === 0)).toBe(true);
    });
  });

  describe('billing', () => {
    const backOffice = async (path: string, body: unknown) =>
      (await (await fetch(`${kantata!.url}/__sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as { id: string };

    it('reads approved time in hours with the role’s name, and expenses in minor units', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
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

    it.each(['after-commit', 'reset-after-commit'] as const)(
      'records an invoice once: a retry after its POST was applied and the answer lost (%s) finds it by its reference',
      async (mode) => {
        kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
        const { id: workspace } = await psa().createProject(project);
        const entry = await backOffice('time_entries', { workspace_id: workspace, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
        const invoice = invoiceOf(entry.id);
        kantata.injectFault({
          method: 'POST',
          pathPrefix: '/api/v1/invoices',
          mode,
          ...(mode === 'after-commit' ? { response: { status: 502, json: { errors: [{ type: 'system', message: 'bad gateway' }] } } } : {}),
        });

        await expect(psa().recordInvoice(workspace, invoice)).rejects.toMatchObject({ name: 'VendorUnavailable' });
        const first = await psa().recordInvoice(workspace, invoice);
        const second = await psa().recordInvoice(workspace, invoice);

        // Kantata numbered it (an integer); the ERP's number is its title.
        expect(kantata.objects('invoices')).toEqual([
          expect.objectContaining({ id: first.id, user_invoice_number: 1, user_invoice_title: 'INV000007', payment_schedule: 30, total_in_cents: 15000 }),
        ]);
        expect(second).toEqual(first);
        // The invoice found already carries the ERP's number: nothing is written again.
        expect(kantata.requests.filter((r) => r.method === 'PUT')).toEqual([]);
      },
    );

    it('sends payment_schedule and the ERP number as the title, never as user_invoice_number, and puts a title a person changed back', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      const { id: workspace } = await psa().createProject(project);
      const entry = await backOffice('time_entries', { workspace_id: workspace, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      const invoice = invoiceOf(entry.id);
      const audit: AuditEntry[] = [];
      const adapter = new KantataPsa({
        instance: 'kantata-global',
        baseUrl: kantata.url,
        credentials: async () => ({ accessToken: TOKEN }),
        refreshCredentials: async () => ({ accessToken: TOKEN }),
        paymentScheduleDays: 45,
        audit: { record: async (e) => void audit.push(e) },
        execution: 'exec-1',
        correlationId: 'corr-1',
      });

      const { id } = await adapter.recordInvoice(workspace, invoice);
      Object.assign(kantata.objects('invoices')[0]!, { user_invoice_title: 'renamed by a person' });
      await adapter.recordInvoice(workspace, invoice);

      const sent = audit.filter((e) => e.recordType === 'invoice').map((e) => [e.operation, (e.payload as { invoice: Record<string, unknown> }).invoice]);
      expect(sent).toEqual([
        ['create', expect.objectContaining({ payment_schedule: 45, user_invoice_title: 'INV000007' })],
        ['update', expect.objectContaining({ user_invoice_title: 'INV000007' })],
      ]);
      for (const [, body] of sent) expect(body).not.toHaveProperty('user_invoice_number');
      expect(kantata.objects('invoices')).toEqual([
        expect.objectContaining({ id, user_invoice_number: 1, payment_schedule: 45, user_invoice_title: 'INV000007' }),
      ]);
    });
  });

  describe('authentication: the secret’s non-expiring bearer token', () => {
    it('sends the token as a bearer and asks Kantata for no token', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });

      await psa().findProjectByExternalReference('g-9');

      expect(kantata.requests.map((r) => [r.method, r.path, r.status])).toEqual([['GET', '/api/v1/external_references.json', 200]]);
    });

    it('after a 401 reads the secret again once and carries on with a rotated token', async () => {
      kantata = await startKantataSandbox({ accessTokens: ['rotated-token'] });

      const created = await psa([], undefined, { cached: TOKEN, fresh: 'rotated-token' }).createProject(project);

      expect(kantata.objects('workspaces')).toEqual([expect.objectContaining({ id: created.id })]);
      // The cached token refused, the rotated one read past the cache accepted: one workspace.
      expect(kantata.requests.map((r) => [r.method, r.status])).toEqual([
        ['POST', 401],
        ['POST', 200],
      ]);
    });

    it('a token still refused after the re-read was revoked: KantataTokenRevoked, for a person, not retried', async () => {
      kantata = await startKantataSandbox({ accessTokens: [TOKEN] });
      kantata.revokeToken(TOKEN);

      const refused = await psa()
        .createProject(project)
        .catch((e: unknown) => e);

      expect(refused).toMatchObject({ name: 'KantataTokenRevoked', call: { vendor: 'kantata', instance: 'kantata-global', operation: 'create workspace' } });
      expect(isRetryable(refused)).toBe(false);
      expect(remediationFor('time-to-invoice', 'KantataTokenRevoked')).toMatch(/new token.*accessToken.*secret/);
      expect(kantata.requests).toHaveLength(2);
      expect(kantata.objects('workspaces')).toEqual([]);
    });
  });
});
