import { type CanonicalEvent, parseCanonicalEvent } from '../../../canonical';
import { newRecords, pollFrom } from './poll-window';
import { publishCanonical } from '../canonical-bus';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { documents } from '../clients/dynamodb';
import { sqs } from '../clients/sqs';
import { PollCheckpointStore } from './checkpoint-store';
import { requiredEnvironment } from '../runtime';

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

/** New records published per round: a round's events and checkpoint stay small, and a backlog moves in steps. */
const RECORDS_PER_ROUND = 2_000;
/** No round starts with less than this left before the function's timeout: a round must never be cut off. */
const ROUND_RESERVE_MS = 90_000;

/**
 * One poll of a vendor without push: read once from the checkpoint minus the overlap, then publish what
 * is new as canonical events (validated, oldest first) in rounds of at most 5,000, storing the
 * checkpoint after each round only once its events are on the bus, so a poll that fails halfway is
 * repeated from there and nothing read is lost. No round starts with less than 90 s of the function's
 * time left (`timeLeftMs`, the Lambda context's); `more` then says the caller should ask for another
 * poll at once rather than wait for the schedule. Used by every poll, so they keep the same guarantees.
 */
export async function pollAndPublish(options: { checkpointId: string; source: string; read: (updatedAfter: string) => Promise<PolledRecord[]>; timeLeftMs: () => number; recordsPerRound?: number }): Promise<{ read: number; published: number; checkpoint: string; more: boolean }> {
  const store = new PollCheckpointStore(documents(), requiredEnvironment('IDEMPOTENCY_TABLE_NAME'));
  const checkpoint = await store.load(options.checkpointId, () => ({ updatedAfter: new Date(Date.now() - FIRST_POLL_LOOKBACK_MS).toISOString(), recent: [] }));
  const polled = await options.read(pollFrom(checkpoint, POLL_OVERLAP_MS));
  const byKey = new Map(polled.map((p) => [p.key, p]));
  const records = polled.map((p) => ({ id: p.key, updated_at: p.updatedAt }));
  const perRound = options.recordsPerRound ?? RECORDS_PER_ROUND;
  let taken = 0;
  let published = 0;
  for (;;) {
    // The first `taken + perRound` new records and the checkpoint that covers exactly them.
    const { fresh, next, more } = newRecords(checkpoint, records, POLL_OVERLAP_MS, taken + perRound);
    const toPublish = fresh.slice(taken).flatMap((f) => {
      const event = byKey.get(f.id)!.event();
      return event ? [parseCanonicalEvent(event)] : [];
    });
    await publishCanonical(options.source, toPublish);
    await store.save(options.checkpointId, next);
    taken = fresh.length;
    published += toPublish.length;
    if (!more || options.timeLeftMs() < ROUND_RESERVE_MS) return { read: polled.length, published, checkpoint: next.updatedAfter, more };
  }
}

/** Asks for the next poll of an instance at once, on the poll's own request queue: a backlog is worked off in steps, not at the schedule's pace. */
export async function pollAgain(queueUrl: string, instance: string): Promise<void> {
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ instance, reason: 'backlog' }) }));
}
