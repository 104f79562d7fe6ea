import { type RunningSandbox, readJson, type SandboxRequest, type SandboxResponse, startSandbox } from '../sandbox-kit';

/**
 * A Kantata OX account on loopback: REST v1 workspaces, stories, external references, account roles
 * and the rate card model (Rate Card Sets, their Rate Card Set Versions effective by date, Rate Cards
 * per currency with a Rate Card Version per set version, and Rate Card Roles: the bill rate of one
 * role, in cents per hour), with Kantata's envelope (`count`, `results`, objects by id, `meta`),
 * string ids, POST without an idempotency key (posting twice makes two), and 429 without Retry-After,
 * with a stricter limit on workspace creation. Auth is Kantata's: registered OAuth bearer tokens that do
 * not expire but can be revoked (`revokeToken`, `POST /__sandbox/revoke-token`); there is no token
 * endpoint on the API host, so a client-credentials request to `/oauth/token` is a 404.
 *
 * Milestones are stories (`story_type` milestone) whose `state` becomes `completed` in the back office
 * (`PATCH /__sandbox/stories/{id}`), listed with `story_type=milestone&state=completed&updated_after=...`.
 * Billing: time entries (`date_performed`, `time_in_minutes`, `billable`, `approved`, `role_id`) and
 * expenses (`date`, `category`, `amount_in_cents`, `currency`, `billable`, `approved`) are listed with
 * `approved=true&updated_after=...` (docs/vendors/kantata.md); people log and approve them through the back office
 * (`/__sandbox/time_entries`, `/__sandbox/expenses`). An invoice (`POST /invoices.json` with
 * `workspace_id`, `invoice_date`, `payment_schedule`, `time_entry_ids`, `expense_ids`) marks its work
 * invoiced and refuses work that is unapproved, of another project, or already invoiced. As Kantata
 * does, it requires `payment_schedule` (days until due, an integer), takes `user_invoice_number` only as
 * an integer and numbers an invoice that has none. Tax, totals and status are kept as `tax_in_cents`,
 * `total_in_cents`, `payment_status` (this sandbox's reading, not fields of Kantata's specification).
 */

/** Options of {@link startKantataSandbox}. */
export interface KantataSandboxOptions {
  /** The OAuth bearer tokens the account has issued (an application's token, users' tokens). */
  readonly accessTokens: readonly string[];
  /** Requests per window. @default 120 */
  readonly requestsPerWindow?: number;
  /** Workspace creations per window. @default 20 */
  readonly workspaceCreatesPerWindow?: number;
  /** @default 10_000 */
  readonly windowMs?: number;
  readonly port?: number;
  /** The account's roles, by name. @default Principal, Consultant, Project Manager, Analyst */
  readonly roles?: readonly string[];
}

type KantataObject = Record<string, unknown> & { id: string };
const COLLECTIONS = {
  workspaces: 'workspace',
  stories: 'story',
  external_references: 'external_reference',
  roles: 'role',
  rate_card_sets: 'rate_card_set',
  rate_card_set_versions: 'rate_card_set_version',
  rate_cards: 'rate_card',
  rate_card_versions: 'rate_card_version',
  rate_card_roles: 'rate_card_role',
  time_entries: 'time_entry',
  expenses: 'expense',
  invoices: 'invoice',
} as const;
type Collection = keyof typeof COLLECTIONS;
/** The collections whose create takes a nested `external_reference`, and the subject type Kantata gives it. */
const REFERABLE: Partial<Record<Collection, string>> = { workspaces: 'Workspace', stories: 'Story', invoices: 'Invoice', rate_cards: 'RateCard' };

/** A running Kantata sandbox. */
export interface KantataSandbox extends RunningSandbox {
  objects(collection: Collection): KantataObject[];
  /** Issues a token, as registering an application or authorizing a user does. */
  issueToken(token: string): void;
  /** Revokes a token, as deleting its application or a user revoking access does: it answers 401 from then on. */
  revokeToken(token: string): void;
}

/** Starts the sandbox. */
export async function startKantataSandbox(options: KantataSandboxOptions): Promise<KantataSandbox> {
  const store = Object.fromEntries(Object.keys(COLLECTIONS).map((c) => [c, new Map<string, KantataObject>()])) as Record<
    Collection,
    Map<string, KantataObject>
  >;
  const tokens = new Set(options.accessTokens);
  let nextId = 39000;
  let windowStart = Date.now();
  let workspaceCreates = 0;

  const errors = (status: number, messages: { type: string; message: string; field?: string }[]): SandboxResponse => ({ status, json: { errors: messages } });
  // Kantata's documented throttling trap: a 429 with no Retry-After header.
  const throttled = (): SandboxResponse => errors(429, [{ type: 'rate_limit', message: 'Too many requests' }]);
  const envelope = (collection: Collection, items: KantataObject[], page = 1, perPage = 20): SandboxResponse => {
    const slice = items.slice((page - 1) * perPage, page * perPage);
    return {
      status: 200,
      json: {
        count: items.length,
        results: slice.map((o) => ({ key: collection, id: o.id })),
        [collection]: Object.fromEntries(slice.map((o) => [o.id, o])),
        meta: { count: items.length, page_count: Math.max(1, Math.ceil(items.length / perPage)), page_number: page, page_size: perPage },
      },
    };
  };
  const required: Partial<Record<Collection, string[]>> = {
    workspaces: ['title', 'creator_role'],
    stories: ['title', 'workspace_id'],
    rate_card_sets: ['title'],
    rate_card_set_versions: ['rate_card_set_id', 'effective_date'],
    rate_cards: ['rate_card_set_version_id', 'currency'],
    rate_card_roles: ['rate_card_version_id', 'role_id', 'rate'],
    invoices: ['workspace_id', 'invoice_date', 'payment_schedule'],
  };
  const now = () => new Date().toISOString();
  const insert = (collection: Collection, attributes: Record<string, unknown>): KantataObject => {
    const object: KantataObject = { ...attributes, id: String(nextId++), created_at: now(), updated_at: now() };
    for (const k of Object.keys(object)) if (k.endsWith('_id') && object[k] !== undefined && object[k] !== null) object[k] = String(object[k]);
    store[collection].set(object.id, object);
    return object;
  };
  for (const name of options.roles ?? ['Principal', 'Consultant', 'Project Manager', 'Analyst']) insert('roles', { name });
  const invalid = (field: string, message: string) => errors(422, [{ type: 'validation', message, field }]);
  /** Kantata's own consistency rules for the rate card model, checked before anything is stored. */
  const rateCardRules = (collection: Collection, a: Record<string, unknown>): SandboxResponse | undefined => {
    if (collection === 'rate_card_set_versions') {
      if (!store.rate_card_sets.has(String(a.rate_card_set_id))) return invalid('rate_card_set_id', 'rate card set does not exist');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(String(a.effective_date))) return invalid('effective_date', 'effective date is not a date');
      const taken = [...store.rate_card_set_versions.values()].some(
        (v) => v.rate_card_set_id === String(a.rate_card_set_id) && v.effective_date === a.effective_date,
      );
      if (taken) return invalid('effective_date', 'effective date has already been taken');
    }
    if (collection === 'rate_cards') {
      const version = store.rate_card_set_versions.get(String(a.rate_card_set_version_id));
      if (!version) return invalid('rate_card_set_version_id', 'rate card set version does not exist');
      if (!/^[A-Z]{3}$/.test(String(a.currency))) return invalid('currency', 'currency is not a currency code');
      const setId = version.rate_card_set_id;
      if ([...store.rate_cards.values()].some((c) => c.rate_card_set_id === setId && c.currency === a.currency))
        return invalid('currency', 'currency has already been taken on this rate card set');
    }
    if (collection === 'rate_card_roles') {
      if (!store.rate_card_versions.has(String(a.rate_card_version_id))) return invalid('rate_card_version_id', 'rate card version does not exist');
      if (!store.roles.has(String(a.role_id))) return invalid('role_id', 'role does not exist');
      if (!Number.isSafeInteger(a.rate) || (a.rate as number) < 0) return invalid('rate', 'rate must be a whole number of cents, not negative');
      const taken = [...store.rate_card_roles.values()].some(
        (r) => r.rate_card_version_id === String(a.rate_card_version_id) && r.role_id === String(a.role_id),
      );
      if (taken) return invalid('role_id', 'role has already been taken on this rate card version');
    }
    return undefined;
  };
  /** Kantata's integer fields of an invoice: a string such as an ERP's `INV000007` is refused. */
  const invoiceTypes = (a: Record<string, unknown>): SandboxResponse | undefined => {
    if (a.user_invoice_number !== undefined && a.user_invoice_number !== null && !Number.isSafeInteger(a.user_invoice_number))
      return invalid('user_invoice_number', 'user_invoice_number must be an integer');
    if (a.payment_schedule !== undefined && (!Number.isSafeInteger(a.payment_schedule) || (a.payment_schedule as number) < 0))
      return invalid('payment_schedule', 'payment_schedule must be a whole number of days');
    return undefined;
  };
  /** An invoice bills approved work of its own project, once. */
  const invoiceRules = (collection: Collection, a: Record<string, unknown>): SandboxResponse | undefined => {
    if (collection !== 'invoices') return undefined;
    const typed = invoiceTypes(a);
    if (typed) return typed;
    if (!store.workspaces.has(String(a.workspace_id))) return invalid('workspace_id', 'workspace does not exist');
    for (const [c, field] of [
      ['time_entries', 'time_entry_ids'],
      ['expenses', 'expense_ids'],
    ] as const) {
      const ids = a[field];
      if (ids !== undefined && !Array.isArray(ids)) return invalid(field, `${field} must be a list`);
      for (const id of (ids as unknown[] | undefined) ?? []) {
        const item = store[c].get(String(id));
        if (!item || String(item.workspace_id) !== String(a.workspace_id))
          return invalid(field, `${COLLECTIONS[c]} ${String(id)} does not belong to the workspace`);
        if (item.approved !== true) return invalid(field, `${COLLECTIONS[c]} ${String(id)} is not approved`);
        if (item.invoice_id) return invalid(field, `${COLLECTIONS[c]} ${String(id)} is already invoiced`);
      }
    }
    return undefined;
  };
  /** What Kantata does beside storing: a rate card gets a version in its set version, a new set version a version of every rate card. */
  const sideEffects = (collection: Collection, object: KantataObject): KantataObject[] => {
    if (collection === 'rate_cards') {
      const version = store.rate_card_set_versions.get(String(object.rate_card_set_version_id))!;
      object.rate_card_set_id = version.rate_card_set_id;
      delete object.rate_card_set_version_id;
      return [insert('rate_card_versions', { rate_card_id: object.id, rate_card_set_version_id: version.id, effective_date: version.effective_date })];
    }
    if (collection === 'rate_card_set_versions') {
      const cards = [...store.rate_cards.values()].filter((c) => c.rate_card_set_id === object.rate_card_set_id);
      return cards.map((c) => insert('rate_card_versions', { rate_card_id: c.id, rate_card_set_version_id: object.id, effective_date: object.effective_date }));
    }
    return [];
  };

  const create =
    (collection: Collection) =>
    (request: SandboxRequest): SandboxResponse => {
      if (collection === 'workspaces') {
        if (Date.now() - windowStart >= (options.windowMs ?? 10_000)) {
          windowStart = Date.now();
          workspaceCreates = 0;
        }
        workspaceCreates += 1;
        if (workspaceCreates > (options.workspaceCreatesPerWindow ?? 20)) return throttled();
      }
      const body = readJson<Record<string, Record<string, unknown>>>(request);
      const attributes = body.ok ? body.value[COLLECTIONS[collection]] : undefined;
      if (!attributes) return errors(400, [{ type: 'system', message: `Expected a ${COLLECTIONS[collection]} object` }]);
      const missing = (required[collection] ?? []).filter((f) => attributes[f] === undefined || attributes[f] === '');
      if (missing.length)
        return errors(
          422,
          missing.map((f) => ({
            type: 'validation',
            message: f === 'creator_role' ? 'Please select a role for this project' : `${f} can't be blank`,
            field: f,
          })),
        );
      if (collection === 'workspaces') {
        if (!['maven', 'buyer'].includes(String(attributes.creator_role))) return invalid('creator_role', 'Please select a role for this project');
        // `price` is the budget in whole units of the currency; `price_in_cents` is read-only and ignored on input.
        if (attributes.price !== undefined && !Number.isSafeInteger(attributes.price)) return invalid('price', 'price must be a whole number');
      }
      const reference = attributes.external_reference as Record<string, unknown> | undefined;
      if (reference !== undefined) {
        if (REFERABLE[collection] === undefined) return invalid('external_reference', `a ${COLLECTIONS[collection]} takes no external reference`);
        const blank = ['service_name', 'service_model', 'service_model_ref'].filter((f) => typeof reference[f] !== 'string' || reference[f] === '');
        if (blank.length)
          return errors(
            422,
            blank.map((f) => ({ type: 'validation', message: `external_reference ${f} can't be blank`, field: `external_reference.${f}` })),
          );
      }
      if (collection === 'stories' && !store.workspaces.has(String(attributes.workspace_id)))
        return errors(422, [{ type: 'validation', message: 'workspace does not exist', field: 'workspace_id' }]);
      if (
        collection === 'external_references' &&
        String(attributes.subject_type).toLowerCase() === 'workspace' &&
        !store.workspaces.has(String(attributes.subject_id))
      ) {
        return errors(422, [{ type: 'validation', message: 'subject does not exist', field: 'subject_id' }]);
      }
      const refused = rateCardRules(collection, attributes) ?? invoiceRules(collection, attributes);
      if (refused) return refused;
      const { external_reference: _reference, price_in_cents: _readOnly, ...stored } = attributes;
      // Kantata numbers an invoice sent without a number after the last number used.
      if (collection === 'invoices' && (stored.user_invoice_number === undefined || stored.user_invoice_number === null))
        stored.user_invoice_number = Math.max(0, ...[...store.invoices.values()].map((i) => Number(i.user_invoice_number) || 0)) + 1;
      const object = insert(collection, collection === 'stories' ? { state: 'not started', ...stored } : stored);
      if (collection === 'workspaces' && typeof object.price === 'number') object.price_in_cents = object.price * 100;
      // The reference is written with its subject, in the same request: both or neither.
      if (reference !== undefined) insert('external_references', { ...reference, subject_type: REFERABLE[collection], subject_id: object.id });
      if (collection === 'invoices') {
        // The invoice takes its work: each entry and expense now says which invoice billed it.
        for (const [c, field] of [
          ['time_entries', 'time_entry_ids'],
          ['expenses', 'expense_ids'],
        ] as const) {
          for (const id of (attributes[field] as unknown[] | undefined) ?? [])
            Object.assign(store[c].get(String(id))!, { invoice_id: object.id, is_invoiced: true, updated_at: now() });
        }
      }
      const related = sideEffects(collection, object);
      const response = envelope(collection, [object]);
      // Kantata side-loads what `include` names; the rate card versions a create made are what a client needs next.
      const includes = (request.query.get('include') ?? '').split(',');
      if (related.length && includes.includes('rate_card_versions'))
        return { ...response, json: { ...(response.json as object), rate_card_versions: Object.fromEntries(related.map((v) => [v.id, v])) } };
      return response;
    };
  /** PUT /workspaces/{id}.json: the attributes a client may change, among them the workspace's rate card. */
  const updateWorkspace = (request: SandboxRequest): SandboxResponse => {
    const workspace = store.workspaces.get(request.params.file!.replace(/\.json$/, ''));
    if (!workspace) return errors(404, [{ type: 'system', message: 'Not found' }]);
    const body = readJson<{ workspace?: Record<string, unknown> }>(request);
    const attributes = body.ok ? body.value.workspace : undefined;
    if (!attributes) return errors(400, [{ type: 'system', message: 'Expected a workspace object' }]);
    if (attributes.rate_card_id !== undefined) {
      const card = store.rate_cards.get(String(attributes.rate_card_id));
      if (!card) return invalid('rate_card_id', 'rate card does not exist');
      if (workspace.currency !== undefined && card.currency !== workspace.currency)
        return invalid('rate_card_id', `rate card currency ${String(card.currency)} does not match the project currency ${String(workspace.currency)}`);
    }
    if (attributes.price !== undefined && !Number.isSafeInteger(attributes.price)) return invalid('price', 'price must be a whole number');
    for (const [k, v] of Object.entries(attributes)) if (k !== 'id' && k !== 'price_in_cents') workspace[k] = k.endsWith('_id') && v !== null ? String(v) : v;
    if (typeof workspace.price === 'number') workspace.price_in_cents = workspace.price * 100;
    workspace.updated_at = now();
    return envelope('workspaces', [workspace]);
  };
  const list =
    (collection: Collection) =>
    (request: SandboxRequest): SandboxResponse => {
      const filters = [
        'subject_type',
        'subject_id',
        'service_name',
        'service_model',
        'service_model_ref',
        'workspace_id',
        'rate_card_set_id',
        'rate_card_version_id',
        'rate_card_id',
        'rate_card_set_version_id',
        'story_type',
        'state',
      ].flatMap((f) => {
        const v = request.query.get(f);
        return v === null ? [] : [[f, v] as const];
      });
      if (collection === 'external_references' && !request.query.get('subject_type')) return invalid('subject_type', "subject_type can't be blank");
      const only = request.query.get('only')?.split(',');
      const currencies = request.query.get('currencies')?.split(',');
      const matching = request.query.get('matching')?.toLowerCase().split(/\s+/).filter(Boolean);
      // Objects found by their references: `external_reference_service_name`, `external_reference_service_model_refs`.
      const byReference = (() => {
        const service = request.query.get('external_reference_service_name');
        const refs = request.query.get('external_reference_service_model_refs')?.split(',');
        if (service === null && refs === undefined) return undefined;
        const subjectType = REFERABLE[collection]?.toLowerCase();
        return new Set(
          [...store.external_references.values()]
            .filter(
              (r) =>
                String(r.subject_type).toLowerCase() === subjectType &&
                (service === null || r.service_name === service) &&
                (refs === undefined || refs.includes(String(r.service_model_ref))),
            )
            .map((r) => String(r.subject_id)),
        );
      })();
      const approved = request.query.get('approved');
      const updatedAfter = request.query.get('updated_after');
      const items = [...store[collection].values()].filter(
        (o) =>
          filters.every(([f, v]) => String(o[f] ?? '').toLowerCase() === v.toLowerCase()) &&
          (!only || only.includes(o.id)) &&
          (!currencies || currencies.includes(String(o.currency))) &&
          (!matching ||
            matching.every((m) =>
              String(o.title ?? '')
                .toLowerCase()
                .split(/\s+/)
                .some((word) => word.startsWith(m)),
            )) &&
          (!byReference || byReference.has(o.id)) &&
          (approved === null || String(o.approved === true) === approved) &&
          (updatedAfter === null || Date.parse(String(o.updated_at)) > Date.parse(updatedAfter)),
      );
      const response = envelope(collection, items, Number(request.query.get('page') ?? 1), Number(request.query.get('per_page') ?? 20));
      const includes = (request.query.get('include') ?? '').split(',');
      const ids = new Set((response.json as { results: { id: string }[] }).results.map((r) => r.id));
      let json = response.json as Record<string, unknown>;
      // `include=stories` side-loads a workspace's stories under their own top-level key, as Kantata does.
      if (collection === 'workspaces' && includes.includes('stories')) {
        const stories = [...store.stories.values()].filter((st) => ids.has(String(st.workspace_id)));
        json = { ...json, stories: Object.fromEntries(stories.map((st) => [st.id, st])) };
      }
      // `include=external_references`: each object names its references, which come side-loaded.
      const subjectType = REFERABLE[collection]?.toLowerCase();
      if (subjectType !== undefined && includes.includes('external_references')) {
        const references = [...store.external_references.values()].filter(
          (r) => String(r.subject_type).toLowerCase() === subjectType && ids.has(String(r.subject_id)),
        );
        const listed = json[collection] as Record<string, KantataObject>;
        json = {
          ...json,
          [collection]: Object.fromEntries(
            Object.entries(listed).map(([id, o]) => [id, { ...o, external_reference_ids: references.filter((r) => r.subject_id === id).map((r) => r.id) }]),
          ),
          external_references: Object.fromEntries(references.map((r) => [r.id, r])),
        };
      }
      return { ...response, json };
    };

  const sandbox = await startSandbox({
    name: 'kantata',
    ...(options.port === undefined ? {} : { port: options.port }),
    rateLimit: { maxPerWindow: options.requestsPerWindow ?? 120, windowMs: options.windowMs ?? 10_000, response: throttled },
    // Only the API asks for a token; anything else on this host (an old client's `/oauth/token`) is a 404.
    authenticate: (request) => {
      if (!request.path.startsWith('/api/')) return undefined;
      const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      return token !== undefined && tokens.has(token) ? undefined : errors(401, [{ type: 'authentication', message: 'Invalid or revoked OAuth token' }]);
    },
    notFound: () => errors(404, [{ type: 'system', message: 'Not found' }]),
    routes: [
      {
        method: 'POST',
        pattern: '/__sandbox/revoke-token',
        handle: (request: SandboxRequest): SandboxResponse => {
          const body = readJson<{ token?: string }>(request);
          if (!body.ok || typeof body.value.token !== 'string') return { status: 400, json: { error: 'a JSON body with the token expected' } };
          const known = tokens.delete(body.value.token);
          return { status: known ? 200 : 404, json: { revoked: known } };
        },
      },
      ...(Object.keys(COLLECTIONS) as Collection[]).flatMap((collection) => [
        // Roles and rate card versions are made by the account and by Kantata, not posted by clients.
        // Kantata has no plain POST /external_references: a reference is written nested in its subject's create.
        ...(collection === 'roles' || collection === 'rate_card_versions' || collection === 'external_references'
          ? []
          : [{ method: 'POST', pattern: `/api/v1/${collection}.json`, handle: create(collection) }]),
        { method: 'GET', pattern: `/api/v1/${collection}.json`, handle: list(collection) },
      ]),
      { method: 'PUT', pattern: '/api/v1/workspaces/:file', handle: updateWorkspace },
      {
        method: 'PUT',
        pattern: '/api/v1/invoices/:file',
        handle: (request) => {
          const invoice = store.invoices.get(request.params.file!.replace(/\.json$/, ''));
          const body = readJson<{ invoice?: Record<string, unknown> }>(request);
          if (!invoice) return errors(404, [{ type: 'system', message: 'Not found' }]);
          if (!body.ok || !body.value.invoice) return errors(400, [{ type: 'system', message: 'Expected an invoice object' }]);
          const { time_entry_ids: _t, expense_ids: _e, workspace_id: _w, ...changes } = body.value.invoice;
          const typed = invoiceTypes(changes);
          if (typed) return typed;
          Object.assign(invoice, changes, { updated_at: now() });
          return envelope('invoices', [invoice]);
        },
      },
      {
        // The back office: a person deleting an invoice in Kantata's UI. Its work is no longer invoiced and its
        // external references go with it, as Kantata deletes a subject's references with the subject.
        method: 'DELETE',
        pattern: '/__sandbox/invoices/:id',
        handle: (request: SandboxRequest): SandboxResponse => {
          const id = request.params.id!;
          if (!store.invoices.delete(id)) return { status: 404, json: { error: 'no such invoice' } };
          for (const c of ['time_entries', 'expenses'] as const)
            for (const item of store[c].values()) if (String(item.invoice_id) === id) Object.assign(item, { invoice_id: null, is_invoiced: false });
          for (const [refId, r] of store.external_references)
            if (String(r.subject_type).toLowerCase() === 'invoice' && String(r.subject_id) === id) store.external_references.delete(refId);
          return { status: 204 };
        },
      },
      // The back office: people logging, changing and approving work in Kantata's UI, and completing milestones.
      {
        method: 'PATCH',
        pattern: '/__sandbox/stories/:id',
        handle: (request: SandboxRequest): SandboxResponse => {
          const story = store.stories.get(request.params.id!);
          const body = readJson<Record<string, unknown>>(request);
          if (!story || !body.ok) return { status: 400, json: { error: 'an existing story and a JSON body expected' } };
          Object.assign(story, body.value, { updated_at: now(), ...(body.value.state === 'completed' ? { completed_at: now() } : {}) });
          return { status: 200, json: story };
        },
      },
      ...(['time_entries', 'expenses'] as const).flatMap((collection) => [
        {
          method: 'POST',
          pattern: `/__sandbox/${collection}`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const body = readJson<Record<string, unknown>>(request);
            if (!body.ok || !store.workspaces.has(String(body.value.workspace_id)))
              return { status: 400, json: { error: 'a JSON body with an existing workspace_id expected' } };
            return { status: 201, json: insert(collection, { approved: false, billable: true, ...body.value }) };
          },
        },
        {
          method: 'PATCH',
          pattern: `/__sandbox/${collection}/:id`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const item = store[collection].get(request.params.id!);
            const body = readJson<Record<string, unknown>>(request);
            if (!item || !body.ok) return { status: 400, json: { error: 'an existing record and a JSON body expected' } };
            Object.assign(item, body.value, { updated_at: now() });
            return { status: 200, json: item };
          },
        },
      ]),
    ],
  });
  return {
    ...sandbox,
    objects: (collection) => [...store[collection].values()],
    issueToken: (token) => void tokens.add(token),
    revokeToken: (token) => void tokens.delete(token),
  };
}
