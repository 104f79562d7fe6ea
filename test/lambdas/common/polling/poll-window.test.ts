import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newRecords, type PollCheckpoint, pollFrom } from '../../../../lambdas/common/polling/poll-window';

const overlap = 5 * 60_000;
const start: PollCheckpoint = { updatedAfter: '2026-11-24T10:00:00.000Z', recent: [] };
const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 24, 10, minute, second)).toISOString();

describe('poll windows', () => {
  it('asks from the checkpoint minus the overlap', () => {
    expect(pollFrom(start, overlap)).toBe('2026-11-24T09:55:00.000Z');
  });

  it('drops records the overlap re-reads and advances to the newest one seen', () => {
    const first = newRecords(
      start,
      [
        { key: 'a', updatedAt: at(1) },
        { key: 'b', updatedAt: at(2) },
      ],
      overlap,
    );
    const second = newRecords(
      first.next,
      [
        { key: 'b', updatedAt: at(2) },
        { key: 'a', updatedAt: at(1) },
        { key: 'c', updatedAt: at(2) },
        { key: 'a', updatedAt: at(3) },
      ],
      overlap,
    );

    expect(first.fresh.map((r) => r.key)).toEqual(['a', 'b']);
    expect(second.fresh.map((r) => `${r.key}@${r.updatedAt.slice(11, 16)}`)).toEqual(['c@10:02', 'a@10:03']);
    expect(second.next.updatedAfter).toBe(at(3));
  });

  it('enqueues a change that became visible late, dated before the checkpoint but within the overlap', () => {
    const first = newRecords(start, [{ key: 'a', updatedAt: at(10) }], overlap);

    const second = newRecords(
      first.next,
      [
        { key: 'a', updatedAt: at(10) },
        { key: 'late', updatedAt: at(8) },
      ],
      overlap,
    );

    expect(second.fresh.map((r) => r.key)).toEqual(['late']);
    expect(second.next.updatedAfter).toBe(at(10));
  });

  it('takes a backlog in rounds of at most `limit`, oldest first, each record once, whether a round resumes from its checkpoint or the same read', () => {
    const record = fc.record({ id: fc.string({ minLength: 1, maxLength: 3 }), minute: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(
        fc.uniqueArray(record, { selector: (r) => `${r.id}@${r.minute}`, minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (records, limit) => {
          const polled = records.map((r) => ({ key: r.id, updatedAt: at(r.minute) }));
          // Resuming from each round's stored checkpoint, as the next poll after a timeout does: it reads from the checkpoint minus the overlap.
          let checkpoint = start;
          const resumed: string[] = [];
          for (let round = 0; round < 100; round++) {
            const read = polled.filter((r) => r.updatedAt >= pollFrom(checkpoint, overlap));
            const { fresh, next, more } = newRecords(checkpoint, read, overlap, limit);
            expect(fresh.length).toBeLessThanOrEqual(limit);
            resumed.push(...fresh.map((r) => `${r.key}@${r.updatedAt}`));
            checkpoint = next;
            if (!more) break;
          }
          // Growing the limit over one read, as one invocation's rounds do.
          const once = newRecords(start, polled, overlap, Infinity).fresh.map((r) => `${r.key}@${r.updatedAt}`);
          const expected = polled.map((r) => `${r.key}@${r.updatedAt}`).sort();
          expect([...resumed].sort()).toEqual(expected);
          expect(new Set(resumed).size).toBe(resumed.length);
          expect([...once].sort()).toEqual(expected);
          for (let n = limit; n < polled.length + limit; n += limit)
            expect(newRecords(start, polled, overlap, n).fresh.map((r) => `${r.key}@${r.updatedAt}`)).toEqual(once.slice(0, n));
        },
      ),
    );
  });

  it('keeps the checkpoint when a poll finds nothing new, so a failed enqueue is simply polled again', () => {
    expect(newRecords(start, [], overlap).next).toBe(start);
  });

  it('misses nothing and enqueues nothing twice when changes show up to a minute late', () => {
    const change = fc.record({
      id: fc.constantFrom('e1', 'e2', 'e3', 'e4'),
      minute: fc.integer({ min: 1, max: 30 }),
      lagSeconds: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(change, { selector: (c) => `${c.id}@${c.minute}`, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 32 }), { maxLength: 8 }),
        (changes, polls) => {
          let checkpoint = start;
          const enqueued: string[] = [];
          for (const pollMinute of [...polls.sort((a, b) => a - b), 40]) {
            const from = Date.parse(pollFrom(checkpoint, overlap));
            // A change is visible once its commit (updatedAt plus lag) happened before the poll.
            const visible = changes
              .filter((c) => Date.parse(at(c.minute, c.lagSeconds)) <= Date.parse(at(pollMinute)) && Date.parse(at(c.minute)) >= from)
              .map((c) => ({ key: c.id, updatedAt: at(c.minute) }));
            const { fresh, next } = newRecords(checkpoint, visible, overlap);
            enqueued.push(...fresh.map((r) => `${r.key}@${r.updatedAt}`));
            checkpoint = next;
          }
          expect([...enqueued].sort()).toEqual(changes.map((c) => `${c.id}@${at(c.minute)}`).sort());
        },
      ),
    );
  });
});
