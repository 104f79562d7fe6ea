import type { ExpenseApprovedEvent, MilestoneCompletedEvent, TimeApprovedEvent } from '../../canonical';
import { milestoneKey } from '../common/billing-keys';
import { remediationFor } from '../common/errors';
import type { BusinessException } from '../common/exceptions';
import type { BillingLedger, RecordWorkOutcome } from '../ports/billing-ledger';
import type { ApprovedWork } from '../ports/psa';

/** The ledger's view of a canonical approved-work event. */
export function approvedWorkOf(event: TimeApprovedEvent | ExpenseApprovedEvent): {
  psa: { instance: string; projectId: string };
  work: ApprovedWork;
  version: string;
} {
  const psa = { instance: event.payload.project.instance, projectId: event.payload.project.id };
  if (event.type === 'time.approved') {
    const p = event.payload;
    return {
      psa,
      version: p.approvedAt,
      work: { kind: 'time', item: { id: p.entry.id, workDate: p.workDate, role: p.role, hours: p.hours, billable: p.billable } },
    };
  }
  const p = event.payload;
  return {
    psa,
    version: p.approvedAt,
    work: { kind: 'expense', item: { id: p.expense.id, incurredOn: p.incurredOn, category: p.category, amount: p.amount, billable: p.billable } },
  };
}

/**
 * Records approved time, an expense or a milestone's completion in the billing ledger, once per
 * version. Billed work cannot change silently: a change to it becomes an exception, since a credit or
 * an adjustment is a person's decision.
 */
export async function recordApprovedWork(
  event: TimeApprovedEvent | ExpenseApprovedEvent | MilestoneCompletedEvent,
  deps: { ledger: BillingLedger; recordException: (exception: BusinessException) => Promise<void> },
): Promise<{ kind: 'milestone' | ApprovedWork['kind']; id: string; outcome: RecordWorkOutcome }> {
  if (event.type === 'milestone.completed') {
    const psa = { instance: event.payload.project.instance, projectId: event.payload.project.id };
    const outcome = await deps.ledger.recordMilestoneCompleted(
      psa,
      milestoneKey(event.payload.milestone.instance, event.payload.milestone.id),
      event.payload.completedOn,
    );
    return { kind: 'milestone', id: event.payload.milestone.id, outcome };
  }
  const { psa, work, version } = approvedWorkOf(event);
  const outcome = await deps.ledger.recordWork(psa, work, version);
  if (outcome === 'changed-after-billing') {
    await deps.recordException({
      workflow: 'time-to-invoice',
      entityType: work.kind === 'time' ? 'time-entry' : 'expense',
      entityId: `${psa.instance}:${work.item.id}`,
      reason: `${work.kind === 'time' ? 'Time entry' : 'Expense'} ${work.item.id} changed in the PSA after it was invoiced; the invoice was not changed`,
      remediation: remediationFor('time-to-invoice', 'ChangedAfterBilling'),
      correlationId: event.correlationId,
      source: event.source,
    });
  }
  return { kind: work.kind, id: work.item.id, outcome };
}
