import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { sqsConsumer } from '../../common/sqs-consumer';
import { billingPeriod, billingRunName } from '../../time-to-invoice/billing-period';
import { container } from '../../wiring/container';
import { queueSender } from '../../wiring/queues';
import { billingLedger } from '../../wiring/tables';

const c = container('StartBillingRuns');
const queues = queueSender(c);
const ledger = billingLedger(c);

/** A request to bill a month: from the month-end schedule (the month just ended), or by hand. */
const BillingRunRequest = z.object({
  reason: z.string().min(1),
  /** `yyyy-mm`; the month before now when omitted. */
  period: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
    .optional(),
  /** Bumped by a person to run a period again after a fix. @default 1 */
  revision: z.int().min(1).optional(),
});

/**
 * Fans a month out into one start message per contract. Starting thousands of executions inside one
 * invocation would race its timeout; the messages are durable, and `StartBillingRun` starts each under
 * its deterministic name, so a redelivered request or message starts nothing twice.
 */
async function fanOut(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const request = BillingRunRequest.parse(JSON.parse(record.body));
  const period = billingPeriod(request.period, c.clock());
  const correlationId = `billing-${period.month}-${record.messageId}`;
  log.appendKeys({ correlationId });
  // Every contract, since unbilled work of earlier months (a late entry, a milestone) goes on this month's
  // invoice; and any project with work this month, so work without a contract surfaces as an exception.
  const keyOf = (p: { instance: string; projectId: string }) => `${p.instance}#${p.projectId}`;
  const projects = [...new Map([...(await ledger.contracts()), ...(await ledger.projectsWithWorkIn(period.month))].map((p) => [keyOf(p), p])).values()];
  await queues.send(
    'BillingRunStarts',
    projects.map((psa) => ({
      name: billingRunName(psa, period.month, request.revision ?? 1),
      input: { psa, periodStart: period.start, periodEnd: period.end, correlationId },
    })),
  );
  log.info('Billing runs requested', { period: period.month, projects: projects.length, reason: request.reason });
}

/** Turns a request to bill a month into one start message per contract. */
export const handler = sqsConsumer(fanOut);
