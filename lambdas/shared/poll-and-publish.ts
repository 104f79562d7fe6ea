import { type CanonicalEvent, parseCanonicalEvent } from '../../canonical';
import { newRecords, pollFrom } from '../kantata/poll-window';
import { publishCanonical } from './canonical-bus';
import { documents } from './clients/dynamodb';
import { PollCheckpointStore } from './poll-checkpoint-store';
import { requiredEnvironment } from './runtime';

/** A record a poll read: its key (unique across what the poll reads), when it last changed, and its event, if it makes one. */
export interface PolledRecord {
  readonly key: string;
  readonly updatedAt: string;
  readonly event: () => CanonicalEvent | undefined;
}

/** Re-read this much before the checkpoint: changes can become visible after a poll that ended later. */
export const POLL_OVERLAP_MS = 10 * 60 * 1000;
/** How far the first poll of a source looks back: a whole billing period and a little more. */
const FIRST_POLL_LOOKBACK_MS = 35 * 24 * 3600 * 1000;

/**
 * One poll of a vendor without push: read from the checkpoint minus the overlap, publish what is new as
 * canonical events (validated), and only then store the checkpoint, so a poll that fails halfway is
 * repeated and nothing read is lost. Used by every poll, so they keep the same guarantees.
 */
export async function pollAndPublish(options: { checkpointId: string; source: string; read: (updatedAfter: string) => Promise<PolledRecord[]> }): Promise<{ read: number; published: number; checkpoint: string }> {
  const store = new PollCheckpointStore(documents(), requiredEnvironment('IDEMPOTENCY_TABLE_NAME'));
  const checkpoint = await store.load(options.checkpointId, () => ({ updatedAfter: new Date(Date.now() - FIRST_POLL_LOOKBACK_MS).toISOString(), recent: [] }));
  const polled = await options.read(pollFrom(checkpoint, POLL_OVERLAP_MS));
  const byKey = new Map(polled.map((p) => [p.key, p]));
  const { fresh, next } = newRecords(checkpoint, polled.map((p) => ({ id: p.key, updated_at: p.updatedAt })), POLL_OVERLAP_MS);
  const toPublish = fresh.flatMap((f) => {
    const event = byKey.get(f.id)!.event();
    return event ? [parseCanonicalEvent(event)] : [];
  });
  await publishCanonical(options.source, toPublish);
  await store.save(options.checkpointId, next);
  return { read: polled.length, published: toPublish.length, checkpoint: next.updatedAfter };
}
