import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalFunction, startLocalFunction } from '../../../local/aws/lambda-runtime';

let code = '';
const started: LocalFunction[] = [];

beforeAll(async () => {
  const result = await build({ entryPoints: [join(__dirname, 'fixtures', 'probe-handler.ts')], bundle: true, platform: 'node', format: 'cjs', write: false });
  code = result.outputFiles[0]!.text;
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});

function start(options: { environment?: Record<string, string>; timeoutMs?: number; maxInstances?: number } = {}): LocalFunction {
  const fn = startLocalFunction({
    name: 'probe',
    code,
    environment: options.environment ?? {},
    timeoutMs: options.timeoutMs ?? 5000,
    maxInstances: options.maxInstances ?? 1,
  });
  started.push(fn);
  return fn;
}

describe('startLocalFunction', () => {
  it('gives each function its own environment and keeps module scope between invocations', async () => {
    const us = start({ environment: { TENANT: 'netsuite-us' } });
    const eu = start({ environment: { TENANT: 'netsuite-eu' } });

    const first = (await us.invoke({ action: 'echo' })) as { invocations: number; tenant: string };
    const second = (await us.invoke({ action: 'echo' })) as { invocations: number; tenant: string };
    const other = (await eu.invoke({ action: 'echo' })) as { invocations: number; tenant: string };

    expect([first.tenant, second.tenant, other.tenant]).toEqual(['netsuite-us', 'netsuite-us', 'netsuite-eu']);
    expect([first.invocations, second.invocations, other.invocations]).toEqual([1, 2, 1]);
    expect(process.env.TENANT).toBeUndefined();
  });

  it("reports a thrown error with Lambda's errorType, the error's name", async () => {
    const fn = start();

    await expect(fn.invoke({ action: 'throw' })).rejects.toMatchObject({
      name: 'VendorThrottled',
      errorType: 'VendorThrottled',
      message: 'NetSuite answered 429',
    });
  });

  it('runs one invocation at a time per instance', async () => {
    const fn = start({ maxInstances: 1 });

    const results = (await Promise.all([1, 2, 3].map(() => fn.invoke({ action: 'sleep', ms: 30 })))) as { inFlight: number }[];

    expect(results.map((r) => r.inFlight)).toEqual([1, 1, 1]);
  });

  it('times out a slow invocation, discards that instance and serves the next call from a fresh one', async () => {
    const fn = start({ timeoutMs: 100 });

    await expect(fn.invoke({ action: 'sleep', ms: 1000 })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
    const after = (await fn.invoke({ action: 'echo' })) as { invocations: number; remaining: number };
    expect(after.invocations).toBe(1);
    expect(after.remaining).toBeGreaterThan(0);
    expect(after.remaining).toBeLessThanOrEqual(100);
  });
});
