import { type CanonicalEvent, parseCanonicalEvent } from '../../../canonical';
import { newRecords, type PollCheckpoint, type PolledRecord, pollFrom } from './poll-window';

export type { PolledRecord } from './poll-window';

/** Re-read this much before the checkpoint: changes can become visible after a poll that ended later. */
export const POLL_OVERLAP_MS = 10 * 60 * 1000;
/** How far the first poll of a source looks back: a whole billing period and a little more. */
const FIRST_POLL_LOOKBACK_MS = 35 * 24 * 3600 * 1000;

/** New records published per round: a round's events and checkpoint stay small, and a backlog moves in steps. */
export const RECORDS_PER_ROUND = 2_000;
/** No round starts with less than this left before the function's timeout: a round must never be cut off. */
export const ROUND_RESERVE_MS = 90_000;

/** Where a poll's checkpoint is kept (`PollCheckpointStore` on DynamoDB). */
export interface CheckpointStore {
  load(id: string, initial: () => PollCheckpoint): Promise<PollCheckpoint>;
  save(id: string, checkpoint: PollCheckpoint): Promise<void>;
}

/** What a poll needs besides its reader: the checkpoint store, the bus and the clock. */
export interface PollDependencies {
  readonly checkpoints: CheckpointStore;
  /** Puts validated canonical events on the bus; throws unless every one was accepted. */
  readonly publish: (source: string, events: readonly CanonicalEvent[]) => Promise<void>;
  readonly now: () => Date;
}

/** One poll of a source: where its checkpoint lives, the bus source it publishes as, and how to read. */
export interface PollRequest {
  readonly checkpointId: string;
  readonly source: string;
  readonly read: (updatedAfter: string) => Promise<PolledRecord[]>;
  /** The Lambda context's remaining time. */
  readonly timeLeftMs: () => number;
  /** @default RECORDS_PER_ROUND */
  readonly recordsPerRound?: number;
}

/** What a poll did; `more` says a backlog is left for the next poll. */
export interface PollResult {
  readonly read: number;
  readonly published: number;
  readonly checkpoint: string;
  readonly more: boolean;
}

/**
 * One poll of a vendor without push: read once from the checkpoint minus the overlap, then publish what
 * is new as canonical events (validated, oldest first) in rounds of at most `RECORDS_PER_ROUND`,
 * storing the checkpoint after each round only once its events are on the bus, so a poll that fails
 * halfway is repeated from there and nothing read is lost. No round starts with less than
 * `ROUND_RESERVE_MS` of the function's time left; `more` then says the caller should ask for another
 * poll at once rather than wait for the schedule. Used by every poll, so they keep the same guarantees.
 */
export async function pollAndPublish(request: PollRequest, deps: PollDependencies): Promise<PollResult> {
  const checkpoint = await deps.checkpoints.load(request.checkpointId, () => ({
    updatedAfter: new Date(deps.now().getTime() - FIRST_POLL_LOOKBACK_MS).toISOString(),
    recent: [],
  }));
  const polled = await request.read(pollFrom(checkpoint, POLL_OVERLAP_MS));
  const byKey = new Map(polled.map((p) => [p.key, p]));
  const perRound = request.recordsPerRound ?? RECORDS_PER_ROUND;
  let taken = 0;
  let published = 0;
  for (;;) {
    // The first `taken + perRound` new records and the checkpoint that covers exactly them.
    const { fresh, next, more } = newRecords(checkpoint, polled, POLL_OVERLAP_MS, taken + perRound);
    const toPublish = fresh.slice(taken).flatMap((f) => {
      const event = byKey.get(f.key)!.event();
      return event ? [parseCanonicalEvent(event)] : [];
    });
    await deps.publish(request.source, toPublish);
    await deps.checkpoints.save(request.checkpointId, next);
    taken = fresh.length;
    published += toPublish.length;
    if (!more || request.timeLeftMs() < ROUND_RESERVE_MS) return { read: polled.length, published, checkpoint: next.updatedAfter, more };
  }
}
