import type { ExpenseApprovedEvent, MilestoneCompletedEvent, SystemRef, TimeApprovedEvent } from '../../canonical';
import { deterministicUuid } from '../common/deterministic-id';
import type { CompletedMilestone, PolledWork } from './psa';

/**
 * The canonical events every PSA's intake of approved work publishes, whichever way it learns of the
 * work (Kantata is polled, Certinia relays its changes). Event ids are derived from the instance, the
 * record and its version, so a re-read or redelivered record makes the same event and consumers
 * collapse it.
 */

/** The canonical event of approved time or an expense; its id is stable per record and version. */
export function approvedWorkEvent(source: SystemRef, polled: PolledWork, correlationId: string): TimeApprovedEvent | ExpenseApprovedEvent {
  const { instance } = source;
  const base = { schemaVersion: 1 as const, source, occurredAt: polled.updatedAt, correlationId };
  const project = { instance, id: polled.projectId };
  const resource = { instance, id: polled.resourceId };
  if (polled.work.kind === 'time') {
    const t = polled.work.item;
    return {
      ...base,
      id: deterministicUuid('time.approved', `${instance}:${t.id}:${polled.updatedAt}`),
      type: 'time.approved',
      payload: {
        entry: { instance, id: t.id },
        project,
        resource,
        role: t.role,
        workDate: t.workDate,
        hours: t.hours,
        billable: t.billable,
        approvedAt: polled.updatedAt,
      },
    };
  }
  const e = polled.work.item;
  return {
    ...base,
    id: deterministicUuid('expense.approved', `${instance}:${e.id}:${polled.updatedAt}`),
    type: 'expense.approved',
    payload: {
      expense: { instance, id: e.id },
      project,
      resource,
      incurredOn: e.incurredOn,
      category: e.category,
      amount: e.amount,
      billable: e.billable,
      approvedAt: polled.updatedAt,
    },
  };
}

/** A milestone's completion; its id is stable per milestone, so completing it again is the same event. */
export function milestoneCompletedEvent(source: SystemRef, milestone: CompletedMilestone, correlationId: string): MilestoneCompletedEvent {
  const { instance } = source;
  return {
    id: deterministicUuid('milestone.completed', `${instance}:${milestone.milestoneId}`),
    type: 'milestone.completed',
    schemaVersion: 1,
    source,
    occurredAt: milestone.updatedAt,
    correlationId,
    payload: { milestone: { instance, id: milestone.milestoneId }, project: { instance, id: milestone.projectId }, completedOn: milestone.completedOn },
  };
}
