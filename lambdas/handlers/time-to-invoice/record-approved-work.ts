import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { type ExpenseApprovedEvent, type MilestoneCompletedEvent, parseCanonicalEvent, type TimeApprovedEvent } from '../../../canonical';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { recordApprovedWork } from '../../time-to-invoice/record-approved-work';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { billingLedger } from '../../wiring/tables';

const c = container('RecordApprovedWork');
const exceptions = exceptionRecorder(c);
const ledger = billingLedger(c);

async function recordWork(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as
    | TimeApprovedEvent
    | ExpenseApprovedEvent
    | MilestoneCompletedEvent;
  log.appendKeys({ correlationId: event.correlationId });
  const result = await recordApprovedWork(event, {
    ledger: ledger,
    recordException: async (exception) => void (await exceptions.record(exception, c.clock())),
  });
  metrics.addMetric(`${result.kind === 'milestone' ? 'MilestoneCompleted' : 'ApprovedWork'}-${result.outcome}`, 'Count', 1);
  log.info(result.kind === 'milestone' ? 'Milestone completion recorded' : 'Approved work recorded', result);
}

/** Records approved time and expenses, and milestone completions, from the canonical bus in the billing ledger. */
export const handler = sqsConsumer(recordWork);
