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

describe('a seeded fault schedule', () => {
  /** Creates `names` in order, each retried until it answers 201; returns what the schedule played. */
  async function run(seed: number, names: readonly string[]) {
    const s = await start();
    s.scheduleFaults({ seed, rate: 0.4, kinds: ['throttle', 'unavailable', 'reset', 'after-commit', 'reset-after-commit'] });
    for (const name of names) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const status = await create(s, name).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 201) break;
      }
    }
    const played = s.scheduledFaults.map((f) => f.kind);
    const applied = [...stored];
    await s.close();
    sandbox = undefined;
    stored = [];
    return { played, applied };
  }

  it('plays the same faults for the same requests in every run, whatever their order', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

    const first = await run(7, names);
    const again = await run(7, names);
    const reversed = await run(7, [...names].reverse());
    const otherSeed = await run(8, names);

    expect(again).toEqual(first);
    expect([...reversed.played].sort()).toEqual([...first.played].sort());
    expect(otherSeed.played).not.toEqual(first.played);
    // Roughly the rate asked for, and writes applied twice exactly where a fault struck after commit.
    expect(first.played.length).toBeGreaterThan(0);
    const committedTwice = first.played.filter((k) => k.endsWith('after-commit')).length;
    expect(first.applied).toHaveLength(names.length + committedTwice);
  });

  it('throttles with the vendor own answer, and refuses a schedule it cannot play', async () => {
    sandbox = await startSandbox({
      name: 'kit',
      routes: [],
      rateLimit: { maxPerWindow: 1000, response: () => ({ status: 429, json: { errors: [{ type: 'rate_limit' }] } }) },
    });
    sandbox.scheduleFaults({ seed: 1, rate: 1, kinds: ['throttle'] });

    const response = await fetch(`${sandbox.url}/anything`);
    const refused = await fetch(`${sandbox.url}/__sandbox/fault-schedule`, { method: 'POST', body: JSON.stringify({ seed: 1, rate: 2, kinds: ['throttle'] }) });

    expect([response.status, await response.json()]).toEqual([429, { errors: [{ type: 'rate_limit' }] }]);
    expect([refused.status, await refused.json()]).toEqual([400, { error: 'a schedule needs a rate from 0 to 1' }]);
    expect(() => sandbox!.scheduleFaults({ seed: 1, rate: 0.5, kinds: ['explode' as never] })).toThrow('unknown fault kind explode');
  });

  it('answers a slow fault after applying it', async () => {
    const s = await start();
    s.scheduleFaults({ seed: 3, rate: 1, kinds: ['slow'], slowMs: 300 });

    const failure = await vendorRequest({ vendor: 'kit', instance: 'kit-1', operation: 'create thing' }, `${s.url}/things`, {
      method: 'POST',
      body: JSON.stringify({ name: 'a' }),
      timeoutMs: 50,
    }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'VendorUnavailable' });
    expect(stored).toEqual(['a']);
  });
});
