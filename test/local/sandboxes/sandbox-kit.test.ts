import { afterEach, describe, expect, it } from 'vitest';
import { VendorUnavailableError } from '../../../lambdas/common/errors';
import { vendorRequest } from '../../../lambdas/common/http/vendor-http';
import { type RunningSandbox, readJson, startSandbox } from '../../../local/sandboxes/sandbox-kit';

// The faults every sandbox can inject, on a sandbox of one collection: what was applied, and what the caller saw.
let sandbox: RunningSandbox | undefined;
let stored: string[] = [];
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  stored = [];
});

async function start(): Promise<RunningSandbox> {
  sandbox = await startSandbox({
    name: 'kit',
    routes: [
      {
        method: 'POST',
        pattern: '/things',
        handle: (request) => {
          const body = readJson<{ name: string }>(request);
          if (!body.ok) return { status: 400, json: { error: 'not JSON' } };
          stored.push(body.value.name);
          return { status: 201, json: { id: String(stored.length) } };
        },
      },
    ],
  });
  return sandbox;
}
const create = (s: RunningSandbox, name: string) => fetch(`${s.url}/things`, { method: 'POST', body: JSON.stringify({ name }) });
const inject = (s: RunningSandbox, fault: unknown) => fetch(`${s.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify(fault) });

describe('sandbox faults', () => {
  it('answers an error instead, applying nothing', async () => {
    const s = await start();
    await inject(s, { pathPrefix: '/things', response: { status: 429, json: { error: 'slow down' } } });

    expect((await create(s, 'a')).status).toBe(429);
    expect(stored).toEqual([]);
    expect((await create(s, 'b')).status).toBe(201);
    expect(stored).toEqual(['b']);
  });

  it('applies the write and then answers an error: fail after commit', async () => {
    const s = await start();
    await inject(s, { pathPrefix: '/things', mode: 'after-commit', response: { status: 502, json: { error: 'bad gateway' } } });

    expect((await create(s, 'a')).status).toBe(502);
    expect(stored).toEqual(['a']);
  });

  it('closes the connection without an answer, before or after applying the write', async () => {
    const s = await start();
    await inject(s, { pathPrefix: '/things', mode: 'reset' });
    await inject(s, { pathPrefix: '/things', mode: 'reset-after-commit' });

    await expect(create(s, 'a')).rejects.toThrow();
    expect(stored).toEqual([]);
    await expect(create(s, 'b')).rejects.toThrow();
    expect(stored).toEqual(['b']);
    expect(s.requests.map((r) => r.status)).toEqual([0, 0]);
  });

  it('reaches an adapter as VendorUnavailable, with the network error as its cause', async () => {
    const s = await start();
    s.injectFault({ pathPrefix: '/things', mode: 'reset-after-commit' });

    const failure = await vendorRequest({ vendor: 'kit', instance: 'kit-1', operation: 'create thing' }, `${s.url}/things`, {
      method: 'POST',
      body: JSON.stringify({ name: 'a' }),
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VendorUnavailableError);
    expect((failure as Error).cause).toBeInstanceOf(Error);
    expect(stored).toEqual(['a']);
  });

  it('answers slowly, past the caller timeout', async () => {
    const s = await start();
    s.injectFault({ pathPrefix: '/things', delayMs: 300, response: { status: 201, json: {} } });

    const failure = await vendorRequest({ vendor: 'kit', instance: 'kit-1', operation: 'create thing' }, `${s.url}/things`, {
      method: 'POST',
      body: '{}',
      timeoutMs: 50,
    }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'VendorUnavailable', message: expect.stringContaining('TimeoutError') });
  });

  it('refuses a fault it cannot play, naming why', async () => {
    const s = await start();

    const missing = await inject(s, { mode: 'after-commit' });
    const unknown = await inject(s, { mode: 'explode', response: { status: 500 } });

    expect([missing.status, await missing.json()]).toEqual([400, { error: 'a fault in mode after-commit needs response.status' }]);
    expect([unknown.status, await unknown.json()]).toEqual([400, { error: 'unknown fault mode explode' }]);
    expect(() => s.injectFault({ mode: 'instead' })).toThrow('a fault in mode instead needs response.status');
  });
});
