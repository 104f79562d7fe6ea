import type { CanonicalEvent } from '../../../canonical';

/**
 * Polling a vendor that has no push (Kantata's approved work, NetSuite's invoices, Business Central's catch-up): each poll reads from the checkpoint minus an
 * overlap, because a change can become visible after a poll that ended later than its `updated_at`
 * (clock skew, slow commits). The overlap re-reads recent records; the checkpoint remembers which
 * `key@updatedAt` it already enqueued inside the overlap, so those are dropped and late arrivals are
 * not. The checkpoint is stored only after everything read is durably enqueued, so a poll that fails
 * halfway is simply repeated.
 */

/** Where polling stands for one instance and collection. */
export interface PollCheckpoint {
  /** Newest `updated_at` (ISO) durably enqueued so far. */
  readonly updatedAfter: string;
  /** `key@updatedAt` of records already enqueued whose `updated_at` lies within the overlap of the checkpoint. */
  readonly recent: readonly string[];
}

/**
 * A record a poll read: its key (unique across what the poll reads), when the vendor last changed it,
 * and the canonical event it makes, if any. The one shape every poll hands to `pollAndPublish`.
 */
export interface PolledRecord {
  readonly key: string;
  readonly updatedAt: string;
  readonly event: () => CanonicalEvent | undefined;
}

/** What the window needs of a record: its key and when it changed. */
type Windowed = Pick<PolledRecord, 'key' | 'updatedAt'>;

/** The `updated_after` to ask for: the checkpoint minus the overlap. */
export function pollFrom(checkpoint: PollCheckpoint, overlapMs: number): string {
  return new Date(Date.parse(checkpoint.updatedAfter) - overlapMs).toISOString();
}

const keyOf = (r: Windowed) => `${r.key}@${new Date(r.updatedAt).toISOString()}`;

/**
 * Which polled records are new (to enqueue), oldest first, and the checkpoint to store once they are
 * enqueued. With `limit`, only the oldest `limit` new records are taken and `more` says others wait: the
 * checkpoint then stops at the newest record taken, so the next poll reads the rest (records changed at
 * that same instant but not taken are not in `recent`, so they are new to it).
 */
export function newRecords<T extends Windowed>(
  checkpoint: PollCheckpoint,
  polled: readonly T[],
  overlapMs: number,
  limit = Infinity,
): { fresh: T[]; next: PollCheckpoint; more: boolean } {
  const recent = new Set(checkpoint.recent);
  const byKey = new Map<string, T>();
  for (const record of polled) if (!recent.has(keyOf(record))) byKey.set(keyOf(record), record);
  const all = [...byKey.values()].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.key.localeCompare(b.key));
  const fresh = all.slice(0, limit);
  if (fresh.length === 0) return { fresh, next: checkpoint, more: false };
  const newest = Math.max(Date.parse(checkpoint.updatedAfter), ...fresh.map((r) => Date.parse(r.updatedAt)));
  const horizon = newest - overlapMs;
  const keep = [...recent, ...fresh.map(keyOf)].filter((k) => Date.parse(k.slice(k.lastIndexOf('@') + 1)) >= horizon);
  return { fresh, next: { updatedAfter: new Date(newest).toISOString(), recent: [...new Set(keep)].sort() }, more: fresh.length < all.length };
}
