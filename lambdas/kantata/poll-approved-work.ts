import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { ExpenseApprovedEvent, MilestoneCompletedEvent, TimeApprovedEvent } from '../../canonical';
import { adapters } from '../shared/adapters';
import { deterministicUuid } from '../shared/deterministic-id';
import { pollAndPublish } from '../shared/poll-and-publish';
import { deploymentConfig, logger, metrics } from '../shared/runtime';
import { vendorSecret } from '../shared/secrets';
import type { CompletedMilestone, PolledWork } from '../time-to-invoice/ports';

const processor = new BatchProcessor(EventType.SQS);


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
  const psa = adapters(deploymentConfig(), vendorSecret, { audit: { record: async () => undefined }, execution: correlationId, correlationId }).psaBillingFor(instance);
  const result = await pollAndPublish({
    checkpointId: `checkpoint#kantata-approved-work#${instance}`,
    source: 'ps-sync.kantata',
    // Time entries, expenses and milestones have separate id spaces: records are keyed by kind and id.
    read: async (from) => [
      ...(await psa.approvedWorkSince(from)).map((p) => ({ key: `${p.work.kind}:${p.work.item.id}`, updatedAt: p.updatedAt, event: () => approvedWorkEvent(instance, p, correlationId) })),
      ...(await psa.completedMilestonesSince(from)).map((m) => ({ key: `milestone:${m.milestoneId}`, updatedAt: m.updatedAt, event: () => milestoneCompletedEvent(instance, m, correlationId) })),
    ],
  });
  metrics.addMetric('ApprovedWork-published', 'Count', result.published);
  logger.info('Kantata approved work polled', { instance, ...result });
}

/** Polls one Kantata instance per request (its schedule), publishing approved work as canonical events. */
export const handler = async (event: SQSEvent, context: Context) => {
  try {
    return await processPartialResponse(event, poll, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
