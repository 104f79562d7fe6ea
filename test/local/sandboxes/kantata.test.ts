import { afterEach, describe, expect, it } from 'vitest';
import { type KantataSandbox, startKantataSandbox } from '../../../local/sandboxes/kantata/kantata-sandbox';

// Conformance with VENDORS.md (Kantata OX) and Kantata's documented response format, by plain fetch.
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
  fetch(`${sandbox.url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('Kantata sandbox', () => {
  it('creates a workspace and answers in the documented envelope, with string ids', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();

    const created = (await (await api(t, 'POST', 'workspaces.json', { workspace: { title: 'Globex rollout', currency: 'USD' } })).json()) as Record<string, unknown>;

    expect(created).toMatchObject({ count: 1, results: [{ key: 'workspaces', id: expect.any(String) }], meta: { page_number: 1 } });
    const id = (created.results as { id: string }[])[0]!.id;
    expect((created.workspaces as Record<string, unknown>)[id]).toMatchObject({ id, title: 'Globex rollout' });
  });

  it('side-loads related stories with include, keeping results for the order of the primary objects', async () => {
    sandbox = await startKantataSandbox({ clientId: 'kid', clientSecret: 'ksecret' });
    const t = await token();
    const ids: string[] = [];
    for (const title of ['B', 'A']) ids.push(((await (await api(t, 'POST', 'workspaces.json', { workspace: { title } })).json()) as { results: { id: string }[] }).results[0]!.id);
    await api(t, 'POST', 'stories.json', { story: { workspace_id: ids[1], title: 'Discovery', story_type: 'task' } });

    const listed = (await (await api(t, 'GET', 'workspaces.json?include=stories')).json()) as { results: { key: string; id: string }[]; stories: Record<string, { title: string }> };

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
    await api(t, 'POST', 'external_references.json', { external_reference: { subject_type: 'workspace', subject_id: id, service_name: 'ps-sync', service_model: 'project', service_model_ref: 'g-1' } });

    const found = (await (await api(t, 'GET', 'external_references.json?service_name=ps-sync&service_model_ref=g-1')).json()) as { results: { id: string }[]; external_references: Record<string, { subject_id: string }> };

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
});
