/**
 * Polling Kantata for approved work (it has no push): each poll reads from the checkpoint minus an
 * overlap, because a change can become visible after a poll that ended later than its `updated_at`
 * (clock skew, slow commits). The overlap re-reads recent records; the checkpoint remembers which
 * `id@updated_at` it already enqueued inside the overlap, so those are dropped and late arrivals are
 * not. The checkpoint is stored only after everything read is durably enqueued, so a poll that fails
 * halfway is simply repeated.
 */

/** Where polling stands for one instance and collection. */
export interface PollCheckpoint {
  /** Newest `updated_at` (ISO) durably enqueued so far. */
  readonly updatedAfter: string;
  /** `id@updated_at` of records already enqueued whose `updated_at` lies within the overlap of the checkpoint. */
  readonly recent: readonly string[];
}

/** A record as polled: its id and when Kantata last changed it. */
export interface PolledRecord {
  readonly id: string;
  readonly updated_at: string;
}

/** The `updated_after` to ask for: the checkpoint minus the overlap. */
export function pollFrom(checkpoint: PollCheckpoint, overlapMs: number): string {
  return new Date(Date.parse(checkpoint.updatedAfter) - overlapMs).toISOString();
}

const keyOf = (r: PolledRecord) => `${r.id}@${new Date(r.updated_at).toISOString()}`;

/**
 * Which polled records are new (to enqueue), oldest first, and the checkpoint to store once they are
 * enqueued. With `limit`, only the oldest `limit` new records are taken and `more` says others wait: the
 * checkpoint then stops at the newest record taken, so the next poll reads the rest (records changed at
 * that same instant but not taken are not in `recent`, so they are new to it).
 */
export function newRecords<T extends PolledRecord>(checkpoint: PollCheckpoint, polled: readonly T[], overlapMs: number, limit = Infinity): { fresh: T[]; next: PollCheckpoint; more: boolean } {
  const recent = new Set(checkpoint.recent);
  const byKey = new Map<string, T>();
  for (const record of polled) if (!recent.has(keyOf(record))) byKey.set(keyOf(record), record);
  const all = [...byKey.values()].sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id.localeCompare(b.id));
  const fresh = all.slice(0, limit);
  if (fresh.length === 0) return { fresh, next: checkpoint, more: false };
  const newest = Math.max(Date.parse(checkpoint.updatedAfter), ...fresh.map((r) => Date.parse(r.updated_at)));
  const horizon = newest - overlapMs;
  const keep = [...recent, ...fresh.map(keyOf)].filter((k) => Date.parse(k.slice(k.lastIndexOf('@') + 1)) >= horizon);
  return { fresh, next: { updatedAfter: new Date(newest).toISOString(), recent: [...new Set(keep)].sort() }, more: fresh.length < all.length };
}
