import type { SQSRecord } from 'aws-lambda';
import { type ExpenseApprovedEvent, type MilestoneCompletedEvent, parseCanonicalEvent, type TimeApprovedEvent } from '../../../canonical';
import { logger, metrics } from '../../shared/runtime';
import { sqsConsumer } from '../../shared/sqs-consumer';
import { recordApprovedWork } from '../../time-to-invoice/record-approved-work';
import { wiring } from '../../wiring/wiring';

const w = wiring('RecordApprovedWork');

async function recordWork(record: SQSRecord): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as
    | TimeApprovedEvent
    | ExpenseApprovedEvent
    | MilestoneCompletedEvent;
  logger.appendKeys({ correlationId: event.correlationId });
  const result = await recordApprovedWork(event, {
    ledger: w.ledger(),
    recordException: async (exception) => void (await w.exceptions().record(exception, w.clock())),
  });
  metrics.addMetric(`${result.kind === 'milestone' ? 'MilestoneCompleted' : 'ApprovedWork'}-${result.outcome}`, 'Count', 1);
  logger.info(result.kind === 'milestone' ? 'Milestone completion recorded' : 'Approved work recorded', result);
}

/** Records approved time and expenses, and milestone completions, from the canonical bus in the billing ledger. */
export const handler = sqsConsumer(recordWork);
