import { afterEach, describe, expect, it } from 'vitest';
import { type KantataSandbox, type KantataSandboxOptions, startKantataSandbox } from '../../../local/sandboxes/kantata/kantata-sandbox';

// Conformance with docs/vendors/kantata.md and Kantata OX's API reference
// (https://developer.kantata.com/kantata/specification), by plain fetch.
let sandbox: KantataSandbox;
afterEach(async () => sandbox?.close());

type Envelope = {
  count?: number;
  results: { key: string; id: string }[];
  errors?: { type: string; message: string; field?: string }[];
  [key: string]: unknown;
};
type Reference = { id: string; subject_type: string; subject_id: string; service_name: string; service_model: string; service_model_ref: string };

/** The account's application token, shown under its registered application; Kantata's tokens do not expire. */
const TOKEN = 'app-token-0001';
/** Starts the sandbox and answers its registered token. */
async function start(options: Partial<KantataSandboxOptions> = {}): Promise<string> {
  sandbox = await startKantataSandbox({ accessTokens: [TOKEN], ...options });
  return TOKEN;
}
const api = (t: string, method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/api/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const send = async (t: string, method: string, path: string, body?: unknown) => {
  const response = await api(t, method, path, body);
  return { status: response.status, body: (await response.json()) as Envelope };
};
const idOf = (e: Envelope) => e.results[0]!.id;
const idsOf = (e: Envelope) => e.results.map((r) => r.id).sort();
/** Kantata's nested `external_reference` object: service_name, service_model and service_model_ref are required. */
const reference = (serviceModelRef: string, serviceModel = 'project', serviceName = 'ps-sync') => ({
  service_name: serviceName,
  service_model: serviceModel,
  service_model_ref: serviceModelRef,
});
/** A new workspace's id; `creator_role` is asked for on every create. */
const workspace = async (t: string, attributes: Record<string, unknown> = {}) =>
  idOf((await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'maven', ...attributes } })).body);
/** People logging and approving work in Kantata's UI. */
const backOffice = async (path: string, body: unknown, method = 'POST') =>
  (await (await fetch(`${sandbox.url}/__sandbox/${path}`, { method, body: JSON.stringify(body) })).json()) as { id: string; updated_at: string };
const approvedHour = async (workspaceId: string) =>
  (await backOffice('time_entries', { workspace_id: workspaceId, date_performed: '2026-11-02', time_in_minutes: 60, approved: true })).id;
/** A new rate card set with one set version; answers the set version's id. */
const setVersion = async (t: string, title = 'Contract rates') => {
  const set = idOf((await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title } })).body);
  return idOf((await send(t, 'POST', 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body);
};

/** The four kinds of object that take a nested `external_reference` on create, and the subject_type of their references. */
const KINDS = [
  { collection: 'workspaces', subjectType: 'Workspace', serviceModel: 'project' },
  { collection: 'stories', subjectType: 'Story', serviceModel: 'task' },
  { collection: 'invoices', subjectType: 'Invoice', serviceModel: 'invoice' },
  { collection: 'rate_cards', subjectType: 'RateCard', serviceModel: 'rate_card' },
] as const;
type KindCollection = (typeof KINDS)[number]['collection'];

/** A workspace, a story in it, an invoice of an approved hour of it and a rate card, each POSTed with a nested ps-sync reference `ref`. */
async function referencedObjects(t: string, ref: string): Promise<Record<KindCollection, { status: number; body: Envelope }>> {
  const workspaces = await send(t, 'POST', 'workspaces.json', {
    workspace: { title: `Project ${ref}`, creator_role: 'maven', external_reference: reference(ref) },
  });
  const workspaceId = idOf(workspaces.body);
  const stories = await send(t, 'POST', 'stories.json', {
    story: { workspace_id: workspaceId, title: 'Discovery', story_type: 'task', external_reference: reference(ref, 'task') },
  });
  const invoices = await send(t, 'POST', 'invoices.json', {
    invoice: {
      workspace_id: workspaceId,
      invoice_date: '2026-11-30',
      payment_schedule: 30,
      time_entry_ids: [await approvedHour(workspaceId)],
      external_reference: reference(ref, 'invoice'),
    },
  });
  const rate_cards = await send(t, 'POST', 'rate_cards.json', {
    rate_card: { rate_card_set_version_id: await setVersion(t, `Rates ${ref}`), currency: 'USD', external_reference: reference(ref, 'rate_card') },
  });
  return { workspaces, stories, invoices, rate_cards };
}

describe('Kantata sandbox', () => {
  describe('workspaces', () => {
    it('creates a workspace with 200 and answers in the documented envelope, with string ids', async () => {
      const t = await start();

      const created = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'Globex rollout', creator_role: 'maven', currency: 'USD' } });

      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ count: 1, results: [{ key: 'workspaces', id: expect.any(String) }], meta: { page_number: 1 } });
      const id = idOf(created.body);
      expect((created.body.workspaces as Record<string, unknown>)[id]).toMatchObject({ id, title: 'Globex rollout' });
    });

    it('requires creator_role maven or buyer: without it, or with another role, 422 "Please select a role for this project" and nothing created', async () => {
      const t = await start();

      const missing = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W' } });
      const other = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'owner' } });
      const untitled = await send(t, 'POST', 'workspaces.json', { workspace: { creator_role: 'maven' } });
      expect(sandbox.objects('workspaces')).toEqual([]);
      const maven = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'maven' } });
      const buyer = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'buyer' } });

      const noRole = { errors: [{ type: 'validation', message: 'Please select a role for this project', field: 'creator_role' }] };
      expect([missing.status, missing.body]).toEqual([422, noRole]);
      expect([other.status, other.body]).toEqual([422, noRole]);
      expect([untitled.status, untitled.body.errors]).toEqual([422, [expect.objectContaining({ type: 'validation', field: 'title' })]]);
      expect([maven.status, buyer.status]).toEqual([200, 200]);
      expect(sandbox.objects('workspaces')).toHaveLength(2);
    });

    it('takes price as an integer of whole currency units and shows a read-only price_in_cents beside it; a fractional price is a 422 naming price', async () => {
      const t = await start();

      const created = await send(t, 'POST', 'workspaces.json', {
        workspace: { title: 'W', creator_role: 'maven', currency: 'USD', budgeted: true, price: 1500, price_in_cents: 1 },
      });
      const fractional = await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'maven', currency: 'USD', price: 1500.5 } });

      expect(created.status).toBe(200);
      const id = idOf(created.body);
      const read = await send(t, 'GET', `workspaces.json?only=${id}`);
      expect((read.body.workspaces as Record<string, unknown>)[id]).toMatchObject({ price: 1500, price_in_cents: 150000 });
      expect([fractional.status, fractional.body.errors]).toEqual([422, [expect.objectContaining({ type: 'validation', field: 'price' })]]);
      expect(sandbox.objects('workspaces')).toHaveLength(1);
    });

    it('changes price in whole currency units with PUT, ignoring a price_in_cents sent beside it, and refuses a fractional one with 422 naming price', async () => {
      const t = await start();
      const id = await workspace(t, { currency: 'USD', budgeted: true, price: 1500 });

      const changed = await send(t, 'PUT', `workspaces/${id}.json`, { workspace: { price: 2000, price_in_cents: 1 } });
      const fractional = await send(t, 'PUT', `workspaces/${id}.json`, { workspace: { price: 2000.25 } });

      expect(changed.status).toBe(200);
      expect([fractional.status, fractional.body.errors]).toEqual([422, [expect.objectContaining({ type: 'validation', field: 'price' })]]);
      const read = await send(t, 'GET', `workspaces.json?only=${id}`);
      expect((read.body.workspaces as Record<string, unknown>)[id]).toMatchObject({ price: 2000, price_in_cents: 200000 });
    });

    it('side-loads related stories with include, keeping results for the order of the primary objects', async () => {
      const t = await start();
      const ids: string[] = [];
      for (const title of ['B', 'A']) ids.push(await workspace(t, { title }));
      await send(t, 'POST', 'stories.json', { story: { workspace_id: ids[1], title: 'Discovery', story_type: 'task' } });

      const listed = (await send(t, 'GET', 'workspaces.json?include=stories')).body as Envelope & { stories: Record<string, { title: string }> };

      expect(listed.results.map((r) => r.id)).toEqual(ids);
      expect(Object.values(listed.stories).map((st) => st.title)).toEqual(['Discovery']);
    });

    it('has no idempotency key: the same POST twice makes two workspaces', async () => {
      const t = await start();
      const body = { workspace: { title: 'Same', creator_role: 'maven' } };

      await send(t, 'POST', 'workspaces.json', body);
      await send(t, 'POST', 'workspaces.json', body);

      expect(sandbox.objects('workspaces')).toHaveLength(2);
    });
  });

  it('refuses a story without a title with 422 and the documented errors array', async () => {
    const t = await start();

    const response = await api(t, 'POST', 'stories.json', { story: { workspace_id: '1' } });

    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ errors: [{ type: 'validation', message: "title can't be blank", field: 'title' }] });
  });

  describe('authentication (registered OAuth tokens that do not expire; no client-credentials grant)', () => {
    it('has no token endpoint: a client-credentials request to /oauth/token is a 404 with the errors array, and mints nothing', async () => {
      await start();

      const response = await fetch(`${sandbox.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=kid&client_secret=ksecret',
      });

      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ errors: [{ type: 'system', message: 'Not found' }] });
    });

    it('accepts only registered bearer tokens: none, an unknown one or a non-bearer scheme is a 401 with the errors array', async () => {
      const t = await start();

      expect((await api(t, 'GET', 'workspaces.json')).status).toBe(200);
      const refused = await Promise.all([
        fetch(`${sandbox.url}/api/v1/workspaces.json`),
        api('not-issued', 'GET', 'workspaces.json'),
        fetch(`${sandbox.url}/api/v1/workspaces.json`, { headers: { authorization: `Basic ${t}` } }),
      ]);
      expect(refused.map((r) => r.status)).toEqual([401, 401, 401]);
      expect(await refused[1]!.json()).toEqual({ errors: [{ type: 'authentication', message: 'Invalid or revoked OAuth token' }] });
    });

    it('keeps a token valid until it is revoked, then answers 401; a token issued in its place works', async () => {
      const t = await start();
      expect((await api(t, 'GET', 'workspaces.json')).status).toBe(200);

      const revoked = await fetch(`${sandbox.url}/__sandbox/revoke-token`, { method: 'POST', body: JSON.stringify({ token: t }) });
      sandbox.issueToken('app-token-0002');

      expect(revoked.status).toBe(200);
      const after = await api(t, 'GET', 'workspaces.json');
      expect(after.status).toBe(401);
      expect(((await after.json()) as Envelope).errors![0]!.type).toBe('authentication');
      expect((await api('app-token-0002', 'GET', 'workspaces.json')).status).toBe(200);
      sandbox.revokeToken('app-token-0002');
      expect((await api('app-token-0002', 'GET', 'workspaces.json')).status).toBe(401);
    });
  });

  it('throttles with 429 and no Retry-After, and workspace creation has its own stricter limit', async () => {
    const t = await start({ requestsPerWindow: 50, workspaceCreatesPerWindow: 2 });

    const creates = [];
    for (let i = 0; i < 3; i++) creates.push(await api(t, 'POST', 'workspaces.json', { workspace: { title: `W${i}`, creator_role: 'maven' } }));

    expect(creates.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(creates[2]!.headers.get('retry-after')).toBeNull();
    expect((await api(t, 'GET', 'workspaces.json')).status).toBe(200);
  });

  describe('external references (created nested in the object, read with GET /external_references)', () => {
    it('finds a workspace again through the external reference written with it', async () => {
      const t = await start();
      const id = await workspace(t, { external_reference: reference('g-1') });

      const found = await send(t, 'GET', 'external_references.json?subject_type=Workspace&service_name=ps-sync&service_model_ref=g-1');

      expect(found.status).toBe(200);
      expect(found.body.results).toHaveLength(1);
      expect((found.body.external_references as Record<string, Reference>)[idOf(found.body)]!.subject_id).toBe(id);
    });

    it('has no plain POST /external_references: 404 with the errors array, and nothing stored', async () => {
      const t = await start();
      const id = await workspace(t);

      const response = await send(t, 'POST', 'external_references.json', {
        external_reference: { subject_type: 'Workspace', subject_id: id, ...reference('g-1') },
      });

      expect(response.status).toBe(404);
      expect(response.body.errors).toEqual([expect.objectContaining({ type: 'system', message: expect.any(String) })]);
      expect(sandbox.objects('external_references')).toEqual([]);
    });

    it('stores the nested external_reference of a new workspace, story, invoice and rate card as a reference to it, in the same write', async () => {
      const t = await start();

      const created = await referencedObjects(t, 'g-1');

      expect(KINDS.map(({ collection }) => created[collection].status)).toEqual([200, 200, 200, 200]);
      expect(sandbox.objects('external_references')).toEqual(
        KINDS.map(({ collection, subjectType, serviceModel }) =>
          expect.objectContaining({ subject_type: subjectType, subject_id: idOf(created[collection].body), ...reference('g-1', serviceModel) }),
        ),
      );
      // The object does not keep the nested attribute: the reference is an object of its own.
      for (const { collection } of KINDS) {
        const id = idOf(created[collection].body);
        expect((created[collection].body[collection] as Record<string, object>)[id]).not.toHaveProperty('external_reference');
        expect(sandbox.objects(collection).find((o) => o.id === id)).not.toHaveProperty('external_reference');
      }
    });

    it('refuses a nested external_reference without service_name, service_model or service_model_ref with 422, creating neither the object nor the reference', async () => {
      const t = await start();
      const without = (field: string) => Object.fromEntries(Object.entries(reference('g-1')).filter(([k]) => k !== field));

      const workspaces = [];
      for (const field of ['service_name', 'service_model', 'service_model_ref'])
        workspaces.push(await send(t, 'POST', 'workspaces.json', { workspace: { title: 'W', creator_role: 'maven', external_reference: without(field) } }));
      expect(sandbox.objects('workspaces')).toEqual([]);
      const workspaceId = await workspace(t);
      const entry = await approvedHour(workspaceId);
      const version = await setVersion(t);
      const others = [
        await send(t, 'POST', 'stories.json', {
          story: { workspace_id: workspaceId, title: 'Discovery', story_type: 'task', external_reference: without('service_model_ref') },
        }),
        await send(t, 'POST', 'invoices.json', {
          invoice: {
            workspace_id: workspaceId,
            invoice_date: '2026-11-30',
            payment_schedule: 30,
            time_entry_ids: [entry],
            external_reference: without('service_name'),
          },
        }),
        await send(t, 'POST', 'rate_cards.json', {
          rate_card: { rate_card_set_version_id: version, currency: 'USD', external_reference: without('service_model') },
        }),
      ];

      expect([...workspaces, ...others].map((r) => [r.status, r.body.errors?.[0]?.type])).toEqual(Array(6).fill([422, 'validation']));
      expect(sandbox.objects('workspaces').map((w) => w.id)).toEqual([workspaceId]);
      for (const collection of ['stories', 'invoices', 'rate_cards', 'rate_card_versions', 'external_references'] as const)
        expect(sandbox.objects(collection)).toEqual([]);
      expect(sandbox.objects('time_entries')[0]).not.toHaveProperty('invoice_id');
    });

    it('requires subject_type to list external references: 422 naming subject_type', async () => {
      const t = await start();
      await workspace(t, { external_reference: reference('g-1') });

      const response = await send(t, 'GET', 'external_references.json?service_name=ps-sync&service_model_ref=g-1');

      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual([expect.objectContaining({ type: 'validation', field: 'subject_type' })]);
    });

    it('lists external references by subject_type in any case, subject_id, service_name, service_model and service_model_ref', async () => {
      const t = await start();
      const ours = await workspace(t, { external_reference: reference('g-1') });
      const crm = await workspace(t, { external_reference: reference('g-2', 'project', 'crm') });
      const story = idOf(
        (
          await send(t, 'POST', 'stories.json', {
            story: { workspace_id: ours, title: 'Discovery', story_type: 'task', external_reference: reference('g-1', 'task') },
          })
        ).body,
      );
      const subjects = async (query: string) => {
        const listed = await send(t, 'GET', `external_references.json?${query}`);
        expect(listed.status).toBe(200);
        const references = listed.body.external_references as Record<string, Reference>;
        return listed.body.results.map((r) => `${references[r.id]!.subject_type} ${references[r.id]!.subject_id}`).sort();
      };

      expect(await subjects('subject_type=Workspace')).toEqual([`Workspace ${ours}`, `Workspace ${crm}`]);
      expect(await subjects('subject_type=workspace')).toEqual([`Workspace ${ours}`, `Workspace ${crm}`]);
      expect(await subjects('subject_type=STORY')).toEqual([`Story ${story}`]);
      expect(await subjects(`subject_type=Workspace&subject_id=${crm}`)).toEqual([`Workspace ${crm}`]);
      expect(await subjects('subject_type=Workspace&service_name=ps-sync')).toEqual([`Workspace ${ours}`]);
      expect(await subjects('subject_type=Story&service_model=task')).toEqual([`Story ${story}`]);
      expect(await subjects('subject_type=Workspace&service_model=task')).toEqual([]);
      expect(await subjects('subject_type=Workspace&service_model_ref=g-2')).toEqual([`Workspace ${crm}`]);
      expect(await subjects('subject_type=Workspace&service_name=ps-sync&service_model_ref=g-2')).toEqual([]);
    });

    it('side-loads the references of listed workspaces, stories, invoices and rate cards with include=external_references', async () => {
      const t = await start();
      const created = await referencedObjects(t, 'g-1');
      const plain = await workspace(t, { title: 'No reference' });

      for (const { collection, subjectType, serviceModel } of KINDS) {
        const listed = await send(t, 'GET', `${collection}.json?include=external_references`);
        const objects = listed.body[collection] as Record<string, { external_reference_ids?: string[] }>;
        const references = listed.body.external_references as Record<string, Reference>;
        const id = idOf(created[collection].body);

        expect(objects[id]!.external_reference_ids).toEqual([expect.any(String)]);
        expect(references[objects[id]!.external_reference_ids![0]!]).toMatchObject({
          subject_type: subjectType,
          subject_id: id,
          ...reference('g-1', serviceModel),
        });
      }
      const workspaces = (await send(t, 'GET', 'workspaces.json?include=external_references')).body.workspaces as Record<
        string,
        { external_reference_ids?: string[] }
      >;
      expect(workspaces[plain]!.external_reference_ids).toEqual([]);
    });

    it('finds workspaces, stories, invoices and rate cards by external_reference_service_name and external_reference_service_model_refs', async () => {
      const t = await start();
      const made = [await referencedObjects(t, 'g-1'), await referencedObjects(t, 'g-2'), await referencedObjects(t, 'g-3')];
      const crm = await workspace(t, { external_reference: reference('g-1', 'project', 'crm') });
      await workspace(t, { title: 'No reference' });
      const found = async (collection: string, query: string) => idsOf((await send(t, 'GET', `${collection}.json?${query}`)).body);

      for (const { collection } of KINDS) {
        const [g1, g2, g3] = made.map((m) => idOf(m[collection].body));
        expect(await found(collection, 'external_reference_service_name=ps-sync&external_reference_service_model_refs=g-1,g-3')).toEqual([g1, g3].sort());
        expect(await found(collection, 'external_reference_service_name=ps-sync')).toEqual([g1, g2, g3].sort());
      }
      const ours = idOf(made[0]!.workspaces.body);
      expect(await found('workspaces', 'external_reference_service_model_refs=g-1')).toEqual([ours, crm].sort());
      expect(await found('workspaces', 'external_reference_service_name=crm')).toEqual([crm]);
    });
  });

  describe('rate cards (Kantata: Rate Card Sets, Set Versions by date, Rate Cards per currency, Rate Card Roles in cents per hour)', () => {
    it('lists the account roles by name', async () => {
      const t = await start({ roles: ['Consultant', 'Principal'] });
      const listed = (await send(t, 'GET', 'roles.json')).body as Envelope & { roles: Record<string, { name: string }> };

      expect(listed.results.map((r) => listed.roles[r.id]!.name)).toEqual(['Consultant', 'Principal']);
    });

    it('gives a new rate card a version in its set version, and a later set version a version of every rate card', async () => {
      const t = await start();
      const set = idOf((await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title: 'Contract rates' } })).body);
      const first = idOf(
        (await send(t, 'POST', 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body,
      );

      const card = (await send(t, 'POST', 'rate_cards.json?include=rate_card_versions', { rate_card: { rate_card_set_version_id: first, currency: 'USD' } }))
        .body;
      const later = (
        await send(t, 'POST', 'rate_card_set_versions.json?include=rate_card_versions', {
          rate_card_set_version: { rate_card_set_id: set, effective_date: '2027-04-01' },
        })
      ).body;

      const versions = (e: Envelope) => Object.values(e.rate_card_versions as Record<string, { rate_card_id: string; rate_card_set_version_id: string }>);
      expect(versions(card)).toEqual([expect.objectContaining({ rate_card_id: idOf(card), rate_card_set_version_id: first })]);
      expect(versions(later)).toEqual([expect.objectContaining({ rate_card_id: idOf(card), rate_card_set_version_id: idOf(later) })]);
    });

    it('lists set versions by rate_card_set_id, rate cards by rate_card_set_id and currencies, and rate card versions by rate_card_id', async () => {
      const t = await start();
      const [setA, setB] = [
        idOf((await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title: 'A' } })).body),
        idOf((await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title: 'B' } })).body),
      ];
      const version = async (set: string, effectiveDate: string) =>
        idOf((await send(t, 'POST', 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: effectiveDate } })).body);
      const card = async (setVersionId: string, currency: string) =>
        idOf((await send(t, 'POST', 'rate_cards.json', { rate_card: { rate_card_set_version_id: setVersionId, currency } })).body);
      const a1 = await version(setA, '2026-11-01');
      const b1 = await version(setB, '2026-11-01');
      const [usd, eur, gbp, bUsd] = [await card(a1, 'USD'), await card(a1, 'EUR'), await card(a1, 'GBP'), await card(b1, 'USD')];
      const a2 = await version(setA, '2027-04-01');
      const ids = async (path: string) => idsOf((await send(t, 'GET', path)).body);

      expect(await ids(`rate_card_set_versions.json?rate_card_set_id=${setA}`)).toEqual([a1, a2].sort());
      expect(await ids(`rate_cards.json?rate_card_set_id=${setA}`)).toEqual([usd, eur, gbp].sort());
      expect(await ids(`rate_cards.json?rate_card_set_id=${setA}&currencies=USD,GBP`)).toEqual([usd, gbp].sort());
      expect(await ids('rate_cards.json?currencies=USD')).toEqual([usd, bUsd].sort());
      const versions = (await send(t, 'GET', `rate_card_versions.json?rate_card_id=${usd}`)).body;
      const byId = versions.rate_card_versions as Record<string, { rate_card_set_version_id: string }>;
      expect(versions.results.map((r) => byId[r.id]!.rate_card_set_version_id).sort()).toEqual([a1, a2].sort());
    });

    it('matches rate card sets by title with matching: every word of the query starts a word of the title, in any case', async () => {
      const t = await start();
      for (const title of ['Globex contract rates', 'Acme standard rates', 'Contractor rates 2027'])
        await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title } });
      const matching = async (query: string) => {
        const listed = await send(t, 'GET', `rate_card_sets.json?matching=${encodeURIComponent(query)}`);
        const sets = listed.body.rate_card_sets as Record<string, { title: string }>;
        return listed.body.results.map((r) => sets[r.id]!.title).sort();
      };

      expect(await matching('contr')).toEqual(['Contractor rates 2027', 'Globex contract rates']);
      expect(await matching('RATES glob')).toEqual(['Globex contract rates']);
      expect(await matching('tract')).toEqual([]);
      expect(await matching('acme contr')).toEqual([]);
    });

    it('refuses a second set version on the same date, a fractional rate, an unknown role and a role twice in one version, with 422 naming the field', async () => {
      const t = await start();
      const set = idOf((await send(t, 'POST', 'rate_card_sets.json', { rate_card_set: { title: 'R' } })).body);
      const version = idOf(
        (await send(t, 'POST', 'rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } })).body,
      );
      const card = (await send(t, 'POST', 'rate_cards.json?include=rate_card_versions', { rate_card: { rate_card_set_version_id: version, currency: 'USD' } }))
        .body;
      const rateCardVersion = Object.keys(card.rate_card_versions as object)[0]!;
      const role = (await send(t, 'GET', 'roles.json')).body.results[0]!.id;
      const post = (path: string, body: unknown) => send(t, 'POST', path, body);

      const refusals = [
        await post('rate_card_set_versions.json', { rate_card_set_version: { rate_card_set_id: set, effective_date: '2026-11-01' } }),
        await post('rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 165.5 } }),
        await post('rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: '1', rate: 16550 } }),
      ];
      const accepted = await post('rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 16550 } });
      const twice = await post('rate_card_roles.json', { rate_card_role: { rate_card_version_id: rateCardVersion, role_id: role, rate: 17000 } });

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
      const t = await start();
      const id = await workspace(t, { currency: 'USD' });
      const version = await setVersion(t, 'R');
      const euro = idOf((await send(t, 'POST', 'rate_cards.json', { rate_card: { rate_card_set_version_id: version, currency: 'EUR' } })).body);
      const dollar = idOf((await send(t, 'POST', 'rate_cards.json', { rate_card: { rate_card_set_version_id: version, currency: 'USD' } })).body);

      const wrong = await api(t, 'PUT', `workspaces/${id}.json`, { workspace: { rate_card_id: euro } });
      const right = await api(t, 'PUT', `workspaces/${id}.json`, { workspace: { rate_card_id: dollar } });

      expect(wrong.status).toBe(422);
      expect(right.status).toBe(200);
      const read = (await send(t, 'GET', `workspaces.json?only=${id}`)).body as Envelope & { workspaces: Record<string, { rate_card_id: string }> };
      expect(read.workspaces[id]!.rate_card_id).toBe(dollar);
    });
  });

  describe('time, expenses and invoices', () => {
    it('lists approved time changed after a moment, as docs/vendors/kantata.md polls it', async () => {
      const t = await start();
      const w = await workspace(t);
      const early = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-02', time_in_minutes: 60, approved: true });
      await new Promise((r) => setTimeout(r, 5));
      const cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const pending = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-03', time_in_minutes: 30 });
      const late = await backOffice('time_entries', { workspace_id: w, date_performed: '2026-11-04', time_in_minutes: 90, approved: true });

      const listed = (await send(t, 'GET', `time_entries.json?approved=true&updated_after=${encodeURIComponent(cut)}`)).body;
      await backOffice(`time_entries/${pending.id}`, { approved: true }, 'PATCH');
      const afterApproval = (await send(t, 'GET', `time_entries.json?approved=true&updated_after=${encodeURIComponent(cut)}`)).body;

      expect(listed.results.map((r) => r.id)).toEqual([late.id]);
      expect(idsOf(afterApproval)).toEqual([pending.id, late.id].sort());
      expect(listed.results.map((r) => r.id)).not.toContain(early.id);
    });

    it('invoices approved work of the project once, marking it, and refuses unapproved, foreign or already invoiced work with 422', async () => {
      const t = await start();
      const [w, other] = await Promise.all(['W', 'Other'].map((title) => workspace(t, { title })));
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
      const invoice = (body: Record<string, unknown>) =>
        send(t, 'POST', 'invoices.json', { invoice: { workspace_id: w, invoice_date: '2026-11-30', payment_schedule: 30, ...body } });

      const refusals = [await invoice({ time_entry_ids: [unapproved.id] }), await invoice({ time_entry_ids: [foreign.id] })];
      const created = await invoice({ time_entry_ids: [approved.id], expense_ids: [expense.id] });
      const twice = await invoice({ time_entry_ids: [approved.id] });

      expect(refusals.map((r) => r.status)).toEqual([422, 422]);
      expect(created.status).toBe(200);
      const id = idOf(created.body);
      expect(sandbox.objects('time_entries').find((e) => e.id === approved.id)).toMatchObject({ invoice_id: id, is_invoiced: true });
      expect(sandbox.objects('expenses')[0]).toMatchObject({ invoice_id: id });
      expect(twice.status).toBe(422);
      expect(twice.body.errors![0]).toMatchObject({ field: 'time_entry_ids', message: expect.stringContaining('already invoiced') });
    });

    it('deletes an invoice in the back office: its work is no longer invoiced and its external reference goes with it', async () => {
      const t = await start();
      const w = await workspace(t);
      const entry = await approvedHour(w);
      const invoice = () =>
        send(t, 'POST', 'invoices.json', {
          invoice: {
            workspace_id: w,
            invoice_date: '2026-11-30',
            payment_schedule: 30,
            time_entry_ids: [entry],
            external_reference: { service_name: 'ps-sync', service_model: 'invoice', service_model_ref: 'c-1:2026-11-01' },
          },
        });
      const first = idOf((await invoice()).body);

      const deleted = await fetch(`${sandbox.url}/__sandbox/invoices/${first}`, { method: 'DELETE' });
      const again = await fetch(`${sandbox.url}/__sandbox/invoices/${first}`, { method: 'DELETE' });
      const references = (await send(t, 'GET', 'external_references.json?subject_type=Invoice')).body;
      const second = await invoice();

      expect([deleted.status, again.status]).toEqual([204, 404]);
      expect(references.results).toEqual([]);
      expect(second.status).toBe(200);
      expect(sandbox.objects('invoices').map((i) => i.id)).toEqual([idOf(second.body)]);
    });

    it('requires payment_schedule, a whole number of days, on an invoice create: 422 naming it, nothing invoiced', async () => {
      const t = await start();
      const w = await workspace(t);
      const entry = await approvedHour(w);
      const invoice = (body: Record<string, unknown>) =>
        send(t, 'POST', 'invoices.json', { invoice: { workspace_id: w, invoice_date: '2026-11-30', time_entry_ids: [entry], ...body } });

      const refused = [await invoice({}), await invoice({ payment_schedule: 'Net 30' }), await invoice({ payment_schedule: 7.5 })];
      const created = await invoice({ payment_schedule: 30 });

      expect(refused.map((r) => [r.status, r.body.errors?.[0]?.type, r.body.errors?.[0]?.field])).toEqual(
        Array(3).fill([422, 'validation', 'payment_schedule']),
      );
      expect(created.status).toBe(200);
      expect(sandbox.objects('invoices')).toEqual([expect.objectContaining({ id: idOf(created.body), payment_schedule: 30 })]);
    });

    it('types user_invoice_number as an integer: a string such as an ERP number is a 422 on create and update; without one, the invoice is numbered', async () => {
      const t = await start();
      const w = await workspace(t);
      const [first, second] = [await approvedHour(w), await approvedHour(w)];
      const invoice = (entry: string, body: Record<string, unknown> = {}) =>
        send(t, 'POST', 'invoices.json', { invoice: { workspace_id: w, invoice_date: '2026-11-30', payment_schedule: 30, time_entry_ids: [entry], ...body } });

      const asText = await invoice(first, { user_invoice_number: 'INV000007' });
      const numbered = await invoice(first, { user_invoice_title: 'INV000007' });
      const given = await invoice(second, { user_invoice_number: 41 });
      const updated = await send(t, 'PUT', `invoices/${idOf(numbered.body)}.json`, { invoice: { user_invoice_number: '42' } });

      for (const refused of [asText, updated])
        expect(refused).toEqual({
          status: 422,
          body: { errors: [{ type: 'validation', message: 'user_invoice_number must be an integer', field: 'user_invoice_number' }] },
        });
      const listed = (await send(t, 'GET', 'invoices.json')).body.invoices as Record<string, { user_invoice_number: unknown; user_invoice_title?: string }>;
      expect(listed[idOf(numbered.body)]).toMatchObject({ user_invoice_number: 1, user_invoice_title: 'INV000007' });
      expect(listed[idOf(given.body)]).toMatchObject({ user_invoice_number: 41 });
    });
  });
});
