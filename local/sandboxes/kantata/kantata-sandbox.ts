import { randomUUID } from 'node:crypto';
import { type RunningSandbox, type SandboxRequest, type SandboxResponse, readJson, startSandbox } from '../sandbox-kit';

/**
 * A Kantata OX account on loopback: REST v1 workspaces, stories and external references with
 * Kantata's envelope (`count`, `results`, objects by id, `meta`), string ids, POST without an
 * idempotency key (posting twice makes two), OAuth 2.0 bearer tokens that expire, and 429 without
 * Retry-After, with a stricter limit on workspace creation.
 */

/** Options of {@link startKantataSandbox}. */
export interface KantataSandboxOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** Requests per window. @default 120 */
  readonly requestsPerWindow?: number;
  /** Workspace creations per window. @default 20 */
  readonly workspaceCreatesPerWindow?: number;
  /** @default 10_000 */
  readonly windowMs?: number;
  readonly port?: number;
}

type KantataObject = Record<string, unknown> & { id: string };
const COLLECTIONS = { workspaces: 'workspace', stories: 'story', external_references: 'external_reference' } as const;
type Collection = keyof typeof COLLECTIONS;

/** A running Kantata sandbox. */
export interface KantataSandbox extends RunningSandbox {
  objects(collection: Collection): KantataObject[];
}

/** Starts the sandbox. */
export async function startKantataSandbox(options: KantataSandboxOptions): Promise<KantataSandbox> {
  const store: Record<Collection, Map<string, KantataObject>> = { workspaces: new Map(), stories: new Map(), external_references: new Map() };
  const tokens = new Map<string, number>();
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
  const required: Record<Collection, string[]> = { workspaces: ['title'], stories: ['title', 'workspace_id'], external_references: ['subject_type', 'subject_id', 'service_name', 'service_model_ref'] };

  const create = (collection: Collection) => (request: SandboxRequest): SandboxResponse => {
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
    const missing = required[collection].filter((f) => attributes[f] === undefined || attributes[f] === '');
    if (missing.length) return errors(422, missing.map((f) => ({ type: 'validation', message: `${f} can't be blank`, field: f })));
    if (collection === 'stories' && !store.workspaces.has(String(attributes.workspace_id))) return errors(422, [{ type: 'validation', message: 'workspace does not exist', field: 'workspace_id' }]);
    if (collection === 'external_references' && String(attributes.subject_type).toLowerCase() === 'workspace' && !store.workspaces.has(String(attributes.subject_id))) {
      return errors(422, [{ type: 'validation', message: 'subject does not exist', field: 'subject_id' }]);
    }
    const id = String(nextId++);
    const object: KantataObject = { ...attributes, id, created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
    if (collection === 'external_references' || collection === 'stories' || collection === 'workspaces') for (const k of ['subject_id', 'workspace_id']) if (object[k] !== undefined) object[k] = String(object[k]);
    store[collection].set(id, object);
    return { ...envelope(collection, [object]), status: 200 };
  };
  const list = (collection: Collection) => (request: SandboxRequest): SandboxResponse => {
    const filters = ['subject_type', 'subject_id', 'service_name', 'service_model', 'service_model_ref', 'workspace_id'].flatMap((f) => {
      const v = request.query.get(f);
      return v === null ? [] : [[f, v] as const];
    });
    const only = request.query.get('only')?.split(',');
    const items = [...store[collection].values()].filter(
      (o) => filters.every(([f, v]) => String(o[f] ?? '').toLowerCase() === v.toLowerCase()) && (!only || only.includes(o.id)),
    );
    const response = envelope(collection, items, Number(request.query.get('page') ?? 1), Number(request.query.get('per_page') ?? 20));
    // `include=stories` side-loads a workspace's stories under their own top-level key, as Kantata does.
    if (collection === 'workspaces' && (request.query.get('include') ?? '').split(',').includes('stories')) {
      const ids = new Set((response.json as { results: { id: string }[] }).results.map((r) => r.id));
      const stories = [...store.stories.values()].filter((st) => ids.has(String(st.workspace_id)));
      return { ...response, json: { ...(response.json as object), stories: Object.fromEntries(stories.map((st) => [st.id, st])) } };
    }
    return response;
  };

  const sandbox = await startSandbox({
    name: 'kantata',
    ...(options.port === undefined ? {} : { port: options.port }),
    rateLimit: { maxPerWindow: options.requestsPerWindow ?? 120, windowMs: options.windowMs ?? 10_000, response: throttled },
    authenticate: (request) => {
      if (request.path === '/oauth/token') return undefined;
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const expires = tokens.get(token);
      return expires !== undefined && expires > Date.now() ? undefined : errors(401, [{ type: 'authentication', message: 'Invalid or expired token' }]);
    },
    notFound: () => errors(404, [{ type: 'system', message: 'Not found' }]),
    routes: [
      {
        method: 'POST',
        pattern: '/oauth/token',
        handle: (request) => {
          const form = new URLSearchParams(request.rawBody.toString('utf8'));
          if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) return { status: 401, json: { error: 'invalid_client' } };
          const token = randomUUID();
          const ttl = options.tokenTtlSeconds ?? 3600;
          tokens.set(token, Date.now() + ttl * 1000);
          return { status: 200, json: { access_token: token, token_type: 'bearer', expires_in: ttl } };
        },
      },
      ...(Object.keys(COLLECTIONS) as Collection[]).flatMap((collection) => [
        { method: 'POST', pattern: `/api/v1/${collection}.json`, handle: create(collection) },
        { method: 'GET', pattern: `/api/v1/${collection}.json`, handle: list(collection) },
      ]),
    ],
  });
  return { ...sandbox, objects: (collection) => [...store[collection].values()] };
}
