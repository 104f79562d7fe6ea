import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type CanonicalEvent, type ExpenseApprovedEvent, type MilestoneCompletedEvent, type TimeApprovedEvent, parseCanonicalEvent } from '../../canonical';
import { adapters } from '../shared/adapters';
import { documents } from '../shared/clients/dynamodb';
import { PollCheckpointStore } from '../shared/poll-checkpoint-store';
import { events } from '../shared/clients/eventbridge';
import { deterministicUuid } from '../shared/deterministic-id';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { vendorSecret } from '../shared/secrets';
import type { CompletedMilestone, PolledWork } from '../time-to-invoice/ports';
import { type PollCheckpoint, newRecords, pollFrom } from './poll-window';

const processor = new BatchProcessor(EventType.SQS);

/** Re-read this much before the checkpoint: changes can become visible after a poll that ended later. */
const OVERLAP_MS = 10 * 60 * 1000;
/** How far the first poll of an instance looks back: a whole billing period and a little more. */
const FIRST_POLL_LOOKBACK_MS = 35 * 24 * 3600 * 1000;

const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

/** The canonical event of a polled record; its id is stable per record and version, so re-polls collapse. */
export function approvedWorkEvent(instance: string, polled: PolledWork, correlationId: string): TimeApprovedEvent | ExpenseApprovedEvent {
  const base = { schemaVersion: 1 as const, source: { vendor: 'kantata' as const, instance }, occurredAt: polled.updatedAt, correlationId };
  const project = { instance, id: polled.projectId };
  const resource = { instance, id: polled.resourceId };
  if (polled.work.kind === 'time') {
    const t = polled.work.item;
    return {
      ...base,
      id: deterministicUuid('time.approved', `${instance}:${t.id}:${polled.updatedAt}`),
      type: 'time.approved',
      payload: { entry: { instance, id: t.id }, project, resource, role: t.role, workDate: t.workDate, hours: t.hours, billable: t.billable, approvedAt: polled.updatedAt },
    };
  }
  const e = polled.work.item;
  return {
    ...base,
    id: deterministicUuid('expense.approved', `${instance}:${e.id}:${polled.updatedAt}`),
    type: 'expense.approved',
    payload: { expense: { instance, id: e.id }, project, resource, incurredOn: e.incurredOn, category: e.category, amount: e.amount, billable: e.billable, approvedAt: polled.updatedAt },
  };
}

/** A milestone's completion; its id is stable per milestone, so completing it again is the same event. */
export function milestoneCompletedEvent(instance: string, milestone: CompletedMilestone, correlationId: string): MilestoneCompletedEvent {
  return {
    id: deterministicUuid('milestone.completed', `${instance}:${milestone.milestoneId}`),
    type: 'milestone.completed',
    schemaVersion: 1,
    source: { vendor: 'kantata', instance },
    occurredAt: milestone.updatedAt,
    correlationId,
    payload: { milestone: { instance, id: milestone.milestoneId }, project: { instance, id: milestone.projectId }, completedOn: milestone.completedOn },
  };
}

async function poll(record: SQSRecord): Promise<void> {
  const { instance } = PollRequest.parse(JSON.parse(record.body));
  const correlationId = `poll-${instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const table = requiredEnvironment('IDEMPOTENCY_TABLE_NAME');
  const store = new PollCheckpointStore(documents(), table);
  const checkpointId = `checkpoint#kantata-approved-work#${instance}`;
  const checkpoint: PollCheckpoint = await store.load(checkpointId, () => ({ updatedAfter: new Date(Date.now() - FIRST_POLL_LOOKBACK_MS).toISOString(), recent: [] }));
  const psa = adapters(deploymentConfig(), vendorSecret, { audit: { record: async () => undefined }, execution: correlationId, correlationId }).psaBillingFor(instance);
  const from = pollFrom(checkpoint, OVERLAP_MS);
  const polled = await psa.approvedWorkSince(from);
  const milestones = await psa.completedMilestonesSince(from);
  // Time entries, expenses and milestones have separate id spaces: the window keys them by kind and id.
  type Polled = { readonly updated_at: string; readonly event: () => CanonicalEvent };
  const byKey = new Map<string, Polled>([
    ...polled.map((p): [string, Polled] => [`${p.work.kind}:${p.work.item.id}`, { updated_at: p.updatedAt, event: () => approvedWorkEvent(instance, p, correlationId) }]),
    ...milestones.map((m): [string, Polled] => [`milestone:${m.milestoneId}`, { updated_at: m.updatedAt, event: () => milestoneCompletedEvent(instance, m, correlationId) }]),
  ]);
  const { fresh, next } = newRecords(checkpoint, [...byKey].map(([id, e]) => ({ id, updated_at: e.updated_at })), OVERLAP_MS);
  const toPublish = fresh.map((f) => parseCanonicalEvent(byKey.get(f.id)!.event()));
  for (let i = 0; i < toPublish.length; i += 10) {
    const batch = toPublish.slice(i, i + 10);
    const result = await events().send(
      new PutEventsCommand({ Entries: batch.map((e) => ({ EventBusName: requiredEnvironment('EVENT_BUS_NAME'), Source: 'ps-sync.kantata', DetailType: e.type, Detail: JSON.stringify(e) })) }),
    );
    // Nothing is lost: the checkpoint stays put unless every event is on the bus; the next poll repeats the window.
    if (result.FailedEntryCount) throw new Error(`EventBridge refused ${result.FailedEntryCount} approved-work events; the checkpoint was not advanced`);
  }
  await store.save(checkpointId, next);
  metrics.addMetric('ApprovedWork-published', 'Count', toPublish.length);
  logger.info('Kantata approved work polled', { instance, read: polled.length, published: toPublish.length, checkpoint: next.updatedAfter });
}

/** Polls one Kantata instance per request (its schedule), publishing approved work as canonical events. */
export const handler = async (event: SQSEvent, context: Context) => {
  try {
    return await processPartialResponse(event, poll, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
