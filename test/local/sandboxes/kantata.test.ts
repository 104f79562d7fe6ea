import { afterEach, describe, expect, it } from 'vitest';
import { type KantataSandbox, startKantataSandbox } from '../../../local/sandboxes/kantata/kantata-sandbox';

// Conformance with docs/vendors/kantata.md (Kantata OX) and Kantata's documented response format, by plain fetch.
let sandbox: KantataSandbox;
afterEach(async () => sandbox?.close());

async function token(): Promise<string> {
  const response = await fetch(`${sandbox.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=kid&client_secret=ksecret',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
const api = (t: string, method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/api/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

describe('Kantata sandbox', () => {
  it('creates a workspace and answers in the documented envelope, with string ids', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();

    const created = (await (await api(t, 'POST', 'workspaces.json', { workspace: { title: 'Globex rollout', currency: 'USD' } })).json()) as Record<
      string,
      unknown
    >;

    expect(created).toMatchObject({ count: 1, results: [{ key: 'workspaces', id: expect.any(String) }], meta: { page_number: 1 } });
    const id = (created.results as { id: string }[])[0]!.id;
    expect((created.workspaces as Record<string, unknown>)[id]).toMatchObject({ id, title: 'Globex rollout' });
  });

  it('side-loads related stories with include, keeping results for the order of the primary objects', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();
    const ids: string[] = [];
    for (const title of ['B', 'A'])
      ids.push(((await (await api(t, 'POST', 'workspaces.json', { workspace: { title } })).json()) as { results: { id: string }[] }).results[0]!.id);
    await api(t, 'POST', 'stories.json', { story: { workspace_id: ids[1], title: 'Discovery', story_type: 'task' } });

    const listed = (await (await api(t, 'GET', 'workspaces.json?include=stories')).json()) as {
      results: { key: string; id: string }[];
      stories: Record<string, { title: string }>;
    };

    expect(listed.results.map((r) => r.id)).toEqual(ids);
    expect(Object.values(listed.stories).map((st) => st.title)).toEqual(['Discovery']);
  });

  it('has no idempotency key: the same POST twice makes two workspaces', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();
    const body = { workspace: { title: 'Same' } };

    await api(t, 'POST', 'workspaces.json', body);
    await api(t, 'POST', 'workspaces.json', body);

    expect(sandbox.objects('workspaces')).toHaveLength(2);
  });

  it('finds a workspace again through an external reference', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();
    const id = ((await (await api(t, 'POST', 'workspaces.json', { workspace: { title: 'W' } })).json()) as { results: { id: string }[] }).results[0]!.id;
    await api(t, 'POST', 'external_references.json', {
      external_reference: { subject_type: 'workspace', subject_id: id, service_name: 'ps-sync', service_model: 'project', service_model_ref: 'g-1' },
    });

    const found = (await (await api(t, 'GET', 'external_references.json?service_name=ps-sync&service_model_ref=g-1')).json()) as {
      results: { id: string }[];
      external_references: Record<string, { subject_id: string }>;
    };

    expect(found.results).toHaveLength(1);
    expect(found.external_references[found.results[0]!.id]!.subject_id).toBe(id);
  });

  it('refuses a story without a title with 422 and the documented errors array', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();

    const response = await api(t, 'POST', 'stories.json', { story: { workspace_id: '1' } });

    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ errors: [{ type: 'validation', message: "title can't be blank", field: 'title' }] });
  });

  it('answers 401 to an expired token, and a new token works', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', tokenTtlSeconds: 1 });
    const t = await token();

    await new Promise((r) => setTimeout(r, 1100));
    expect((await api(t, 'GET', 'workspaces.json')).status).toBe(401);
    expect((await api(await token(), 'GET', 'workspaces.json')).status).toBe(200);
  });

  it('throttles with 429 and no Retry-After, and workspace creation has its own stricter limit', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', requestsPerWindow: 50, workspaceCreatesPerWindow: 2 });
    const t = await token();

    const creates = [];
    for (let i = 0; i < 3; i++) creates.push(await api(t, 'POST', 'workspaces.json', { workspace: { title: `W${i}` } }));

    expect(creates.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(creates[2]!.headers.get('retry-after')).toBeNull();
    expect((await api(t, 'GET', 'workspaces.json')).status).toBe(200);
  });

  describe('rate cards (Kantata: Rate Card Sets, Set Versions by date, Rate Cards per currency, Rate Card Roles in cents per hour)', () => {
    type Envelope = { results: { key: string; id: string }[]; errors?: { type: string; field?: string }[]; [key: string]: unknown };
    const post = async (t: string, path: string, body: unknown) => {
      const response = await api(t, 'POST', path, body);
      return { status: response.status, body: (await response.json()) as Envelope };
    };
    const idOf = (e: Envelope) => e.results[0]!.id;

    it('lists the account roles by name', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret', roles: ['Consultant', 'Principal'] });
      const listed = (await (await api(await token(), 'GET', 'roles.json')).json()) as Envelope & { roles: Record<string, { name: string }> };

      expect(listed.results.map((r) => listed.roles[r.id]!.name)).toEqual(['Consultant', 'Principal']);
    });

    it('gives a new rate card a version in its set version, and a later set version a version of every rate card', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const t = await token();
      const set = idOf((await post(t, 'rate_card_sets.json', { rate_card_set: { title: 'Contract rates' } })).body);
      const first = idOf(
        (await post(t, 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body,
      );

      const card = (await post(t, 'rate_cards.json?include=rate_card_versions', { rate_card: { rate_card_set_version_id: first, currency: 'USD' } })).body;
      const later = (
        await post(t, 'rate_card_set_versions.json?include=rate_card_versions', {
          rate_card_set_version: { rate_card_set_id: set, effective_date: '2027-04-01' },
        })
      ).body;

      const versions = (e: Envelope) => Object.values(e.rate_card_versions as Record<string, { rate_card_id: string; rate_card_set_version_id: string }>);
      expect(versions(card)).toEqual([expect.objectContaining({ rate_card_id: idOf(card), rate_card_set_version_id: first })]);
      expect(versions(later)).toEqual([expect.objectContaining({ rate_card_id: idOf(card), rate_card_set_version_id: idOf(later) })]);
    });

    it('refuses a second set version on the same date, a fractional rate, an unknown role and a role twice in one version, with 422 naming the field', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const t = await token();
      const set = idOf((await post(t, 'rate_card_sets.json', { rate_card_set: { title: 'R' } })).body);
      const version = idOf(
        (await post(t, 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body,
      );
      const card = (await post(t, 'rate_cards.json?include=rate_card_versions', { rate_card: { rate_card_set_version_id: version, currency: 'USD' } })).body;
      const rateCardVersion = Object.keys(card.rate_card_versions as object)[0]!;
      const roles = (await (await api(t, 'GET', 'roles.json')).json()) as Envelope;
      const role = roles.results[0]!.id;

      const refusals = [
        await post(t, 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } }),
        await post(t, 'rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 165.5 } }),
        await post(t, 'rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: '1', rate: 16550 } }),
      ];
      const accepted = await post(t, 'rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 16550 } });
      const twice = await post(t, 'rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 17000 } });

      expect(refusals.map((r) => [r.status, r.body.errors?.[0]?.field])).toEqual([
        [422, 'effective_date'],
        [422, 'rate'],
        [422, 'role_id'],
      ]);
      expect(accepted.status).toBe(200);
      expect([twice.status, twice.body.errors?.[0]?.field]).toEqual([422, 'role_id']);
      expect(sandbox.objects('rate_card_roles')).toEqual([expect.objectContaining({ role_id: role, rate: 16550 })]);
    });

    it('points a workspace at a rate card of its currency with PUT, and refuses one of another currency', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const t = await token();
      const workspace = idOf((await post(t, 'workspaces.json', { workspace: { title: 'W', currency: 'USD' } })).body);
      const set = idOf((await post(t, 'rate_card_sets.json', { rate_card_set: { title: 'R' } })).body);
      const version = idOf(
        (await post(t, 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body,
      );
      const euro = idOf((await post(t, 'rate_cards.json', { rate_card: { rate_card_set_version_id: version, currency: 'EUR' } })).body);
      const dollar = idOf((await post(t, 'rate_cards.json', { rate_card: { rate_card_set_version_id: version, currency: 'USD' } })).body);

      const wrong = await api(t, 'PUT', `workspaces/${workspace}.json`, { workspace: { rate_card_id: euro } });
      const right = await api(t, 'PUT', `workspaces/${workspace}.json`, { workspace: { rate_card_id: dollar } });

      expect(wrong.status).toBe(422);
      expect(right.status).toBe(200);
      const read = (await (await api(t, 'GET', `workspaces.json?only=${workspace}`)).json()) as { workspaces: Record<string, { rate_card_id: string }> };
      expect(read.workspaces[workspace]!.rate_card_id).toBe(dollar);
    });
  });

  describe('time, expenses and invoices', () => {
    type Envelope = { results: { key: string; id: string }[]; errors?: { type: string; field?: string; message: string }[]; [key: string]: unknown };
    const backOffice = async (path: string, body: unknown, method = 'POST') =>
      (await (await fetch(`${sandbox.url}/__sandbox/${path}`, { method, body: JSON.stringify(body) })).json()) as { id: string; updated_at: string };

    it('lists approved time changed after a moment, as docs/vendors/kantata.md polls it', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const t = await token();
      const w = ((await (await api(t, 'POST', 'workspaces.json', { workspace: { title: 'W' } })).json()) as Envelope).results[0]!.id;
      const early = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      await new Promise((r) => setTimeout(r, 5));
      const cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const pending = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-03', time_in_minutes: 30 });
      const late = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-04', time_in_minutes: 90, approved: true });

      const listed = (await (await api(t, 'GET', `time_entries.json?approved=true&updated_after=${encodeURIComponent(cut)}`)).json()) as Envelope;
      await backOffice(`time_entries/${pending.id}`, { approved: true }, 'PATCH');
      const afterApproval = (await (await api(t, 'GET', `time_entries.json?approved=true&updated_after=${encodeURIComponent(cut)}`)).json()) as Envelope;

      expect(listed.results.map((r) => r.id)).toEqual([late.id]);
      expect(afterApproval.results.map((r) => r.id).sort()).toEqual([pending.id, late.id].sort());
      expect(listed.results.map((r) => r.id)).not.toContain(early.id);
    });

    it('invoices approved work of the project once, marking it, and refuses unapproved, foreign or already invoiced work with 422', async () => {
      sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
      const t = await token();
      const [w, other] = await Promise.all(
        ['W', 'Other'].map(async (title) => ((await (await api(t, 'POST', 'workspaces.json', { workspace: { title } })).json()) as Envelope).results[0]!.id),
      );
      const approved = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      const unapproved = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-02', time_in_minutes: 60 });
      const foreign = await backOffice('time_entries', { workspace_id: other, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      const expense = await backOffice('expenses', {
        workspace_id: w,
        date: '2026-11-02',
        category: 'Travel',
        amount_in_cents: 1000,
        currency: 'USD',
        approved: true,
      });
      const invoice = (body: Record<string, unknown>) => api(t, 'POST', 'invoices.json', { invoice: { workspace_id: w, invoice_date: '2026-11-30', ...body } });

      const refusals = [await invoice({ time_entry_ids: [unapproved.id] }), await invoice({ time_entry_ids: [foreign.id] })];
      const created = await invoice({ time_entry_ids: [approved.id], expense_ids: [expense.id], user_invoice_number: 'INV000001' });
      const twice = await invoice({ time_entry_ids: [approved.id] });

      expect(refusals.map((r) => r.status)).toEqual([422, 422]);
      expect(created.status).toBe(200);
      const id = ((await created.json()) as Envelope).results[0]!.id;
      expect(sandbox.objects('time_entries').find((e) => e.id === approved.id)).toMatchObject({ invoice_id: id, is_invoiced: true });
      expect(sandbox.objects('expenses')[0]).toMatchObject({ invoice_id: id });
      expect(twice.status).toBe(422);
      expect(((await twice.json()) as Envelope).errors![0]).toMatchObject({ field: 'time_entry_ids', message: expect.stringContaining('already invoiced') });
    });
  });
});
