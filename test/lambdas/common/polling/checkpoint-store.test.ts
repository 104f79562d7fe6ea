import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PollCheckpointStore } from '../../../../lambdas/common/polling/checkpoint-store';
import { newRecords } from '../../../../lambdas/common/polling/poll-window';
import { TABLE_KEYS } from '../../../../lib/topology/tables';
import { startDynalite } from '../../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('idempotency', TABLE_KEYS.idempotency);
});
afterAll(async () => db.close());

describe('PollCheckpointStore', () => {
  it('keeps every recent key of a month-end burst across items, so the next poll publishes none of it again', async () => {
    const store = new PollCheckpointStore(db.documents, 'idempotency');
    const start = { updatedAfter: '2026-11-30T17:00:00.000Z', recent: [] };
    const burst = Array.from({ length: 12_000 }, (_, i) => ({ key: `time:${i}`, updatedAt: new Date(Date.UTC(2026, 10, 30, 17, 30, i % 60)).toISOString() }));
    const first = newRecords(start, burst, 10 * 60_000);

    await store.save('checkpoint#kantata-approved-work#k1', first.next);
    const loaded = await store.load('checkpoint#kantata-approved-work#k1', () => start);
    const second = newRecords(loaded, burst, 10 * 60_000);

    expect(Buffer.byteLength(JSON.stringify(first.next))).toBeGreaterThan(400 * 1024);
    expect(loaded).toEqual(first.next);
    expect(second.fresh).toEqual([]);
  });

  it('starts from the initial checkpoint when none was saved, and reads the newest save', async () => {
    const store = new PollCheckpointStore(db.documents, 'idempotency');
    const initial = { updatedAfter: '2026-11-01T00:00:00.000Z', recent: [] };

    expect(await store.load('checkpoint#none', () => initial)).toEqual(initial);
    await store.save('checkpoint#k2', { updatedAfter: '2026-11-02T00:00:00.000Z', recent: ['a@2026-11-02T00:00:00.000Z'] });
    await new Promise((r) => setTimeout(r, 5));
    await store.save('checkpoint#k2', { updatedAfter: '2026-11-03T00:00:00.000Z', recent: [] });
    expect(await store.load('checkpoint#k2', () => initial)).toEqual({ updatedAfter: '2026-11-03T00:00:00.000Z', recent: [] });
  });
});
