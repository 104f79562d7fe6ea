import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../../lambdas/common/concurrency-limit';
import { VendorThrottledError } from '../../../lambdas/common/errors';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { startDynalite } from '../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('idempotency', TABLE_KEYS.idempotency);
});
afterAll(async () => db.close());

describe('ConcurrencyLimit', () => {
  it('lets at most the configured number of calls run at once, and refuses the rest as throttled when no slot frees in time', async () => {
    const limit = new ConcurrencyLimit(db.documents, 'idempotency', Date.now, 0);
    let running = 0;
    let peak = 0;
    const call = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 50));
      running -= 1;
    };

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => limit.run('netsuite-us', 3, 30, call)));

    expect(peak).toBeLessThanOrEqual(3);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(3);
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refused.every((reason) => reason instanceof VendorThrottledError)).toBe(true);
  });

  it('frees the slot after the call, even when it fails', async () => {
    const limit = new ConcurrencyLimit(db.documents, 'idempotency');

    await expect(limit.run('kantata', 1, 30, async () => Promise.reject(new Error('vendor down')))).rejects.toThrow('vendor down');

    await expect(limit.run('kantata', 1, 30, async () => 'ok')).resolves.toBe('ok');
  });

  it('takes over a slot whose holder crashed once its lease has expired', async () => {
    let now = 1_000_000;
    const limit = new ConcurrencyLimit(db.documents, 'idempotency', () => now, 0);
    let release!: () => void;
    const stuck = limit.run('hubspot', 1, 10, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));

    await expect(limit.run('hubspot', 1, 10, async () => 'second')).rejects.toBeInstanceOf(VendorThrottledError);
    now += 11_000;
    await expect(limit.run('hubspot', 1, 10, async () => 'after expiry')).resolves.toBe('after expiry');
    release();
    await stuck;
  });

  it('keeps the reserved slots for billing: other flows are refused while billing still gets through', async () => {
    const limit = new ConcurrencyLimit(db.documents, 'idempotency', Date.now, 0);
    const releases: (() => void)[] = [];
    const hold = () => new Promise<void>((r) => releases.push(r));
    const other = { flow: 'other' as const, reservedForBilling: 1 };
    const holding = [limit.run('netsuite-eu', 3, 30, hold, other), limit.run('netsuite-eu', 3, 30, hold, other)];
    await new Promise((r) => setTimeout(r, 30));

    await expect(limit.run('netsuite-eu', 3, 30, async () => 'master data', other)).rejects.toBeInstanceOf(VendorThrottledError);
    await expect(limit.run('netsuite-eu', 3, 30, async () => 'invoice', { flow: 'billing' })).resolves.toBe('invoice');
    releases.forEach((release) => release());
    await Promise.all(holding);
  });

  it('waits briefly for a slot to free rather than failing at once, so a burst of callers all get through', async () => {
    const limit = new ConcurrencyLimit(db.documents, 'idempotency', Date.now, 5_000);
    let running = 0;
    let peak = 0;
    const call = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30));
      running -= 1;
    };

    const results = await Promise.allSettled(Array.from({ length: 12 }, () => limit.run('netsuite-burst', 3, 30, call, { flow: 'billing' })));

    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(peak).toBeLessThanOrEqual(3);
  });
});
