import type { SQSRecord } from 'aws-lambda';
import { type ExpenseApprovedEvent, type MilestoneCompletedEvent, type TimeApprovedEvent, parseCanonicalEvent } from '../../../canonical';
import { milestoneKey } from '../../shared/billing-keys';
import { documents } from '../../shared/clients/dynamodb';
import { sqs } from '../../shared/clients/sqs';
import { DurableExceptionRecorder } from '../../shared/exceptions';
import { logger, metrics, requiredEnvironment } from '../../shared/runtime';
import type { ApprovedWork } from '../../ports/psa';
import { DynamoDbBillingLedger } from '../../dynamodb/billing-ledger';
import { sqsConsumer } from '../../shared/sqs-consumer';


/** The ledger's view of a canonical approved-work event. */
export function approvedWorkOf(event: TimeApprovedEvent | ExpenseApprovedEvent): { psa: { instance: string; projectId: string }; work: ApprovedWork; version: string } {
  const psa = { instance: event.payload.project.instance, projectId: event.payload.project.id };
  if (event.type === 'time.approved') {
    const p = event.payload;
    return { psa, version: p.approvedAt, work: { kind: 'time', item: { id: p.entry.id, workDate: p.workDate, role: p.role, hours: p.hours, billable: p.billable } } };
  }
  const p = event.payload;
  return { psa, version: p.approvedAt, work: { kind: 'expense', item: { id: p.expense.id, incurredOn: p.incurredOn, category: p.category, amount: p.amount, billable: p.billable } } };
}

async function recordWork(record: SQSRecord): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as TimeApprovedEvent | ExpenseApprovedEvent | MilestoneCompletedEvent;
  logger.appendKeys({ correlationId: event.correlationId });
  if (event.type === 'milestone.completed') {
    const psa = { instance: event.payload.project.instance, projectId: event.payload.project.id };
    const outcome = await new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME')).recordMilestoneCompleted(psa, milestoneKey(event.payload.milestone.instance, event.payload.milestone.id), event.payload.completedOn);
    metrics.addMetric(`MilestoneCompleted-${outcome}`, 'Count', 1);
    logger.info('Milestone completion recorded', { outcome, milestone: event.payload.milestone.id });
    return;
  }
  const { psa, work, version } = approvedWorkOf(event);
  const outcome = await new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME')).recordWork(psa, work, version);
  metrics.addMetric(`ApprovedWork-${outcome}`, 'Count', 1);
  if (outcome === 'changed-after-billing') {
    // Billed work cannot change silently: a credit or adjustment is a person's decision.
    await new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL')).record(
      {
        workflow: 'time-to-invoice',
        entityType: work.kind === 'time' ? 'time-entry' : 'expense',
        entityId: `${psa.instance}:${work.item.id}`,
        reason: `${work.kind === 'time' ? 'Time entry' : 'Expense'} ${work.item.id} changed in the PSA after it was invoiced; the invoice was not changed`,
        remediation: 'Issue a credit note or an adjustment in the ERP if the change should be billed, then correct the entry in the PSA.',
        correlationId: event.correlationId,
        source: event.source,
      },
      new Date(),
    );
  }
  logger.info('Approved work recorded', { outcome, kind: work.kind, id: work.item.id });
}

/** Records approved time and expenses, and milestone completions, from the canonical bus in the billing ledger. */
export const handler = sqsConsumer(recordWork);
