import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { documents } from '../shared/clients/dynamodb';
import { stepFunctions } from '../shared/clients/step-functions';
import { logger, requiredEnvironment } from '../shared/runtime';
import { billingPeriod, billingRunName } from './domain/billing-period';
import { DynamoDbBillingLedger } from './dynamodb-billing-ledger';

const processor = new BatchProcessor(EventType.SQS);

/** A request to bill a month: from the month-end schedule (the month just ended), or by hand. */
const BillingRunRequest = z.object({
  reason: z.string().min(1),
  /** `yyyy-mm`; the month before now when omitted. */
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).optional(),
  /** Bumped by a person to run a period again after a fix. @default 1 */
  revision: z.int().min(1).optional(),
});

async function startRuns(record: SQSRecord): Promise<void> {
  const request = BillingRunRequest.parse(JSON.parse(record.body));
  const period = billingPeriod(request.period, new Date());
  const ledger = new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME'));
  // Every contract, since unbilled work of earlier months (a late entry, a milestone) goes on this month's
  // invoice; and any project with work this month, so work without a contract surfaces as an exception.
  const keyOf = (p: { instance: string; projectId: string }) => `${p.instance}#${p.projectId}`;
  const projects = [...new Map([...(await ledger.contracts()), ...(await ledger.projectsWithWorkIn(period.month))].map((p) => [keyOf(p), p])).values()];
  let started = 0;
  for (const psa of projects) {
    const name = billingRunName(psa, period.month, request.revision ?? 1);
    try {
      await stepFunctions().send(
        new StartExecutionCommand({
          stateMachineArn: requiredEnvironment('TIME_TO_INVOICE_STATE_MACHINE_ARN'),
          name,
          input: JSON.stringify({ psa, periodStart: period.start, periodEnd: period.end, correlationId: `billing-${period.month}-${record.messageId}` }),
        }),
      );
      started += 1;
    } catch (error) {
      // One execution per contract and period: a repeated request is a no-op.
      if (!(error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists')) throw error;
    }
  }
  logger.info('Billing runs started', { period: period.month, projects: projects.length, started, reason: request.reason });
}

/** Starts one time-to-invoice execution per contract for the period. */
export const handler = async (event: SQSEvent, context: Context) => processPartialResponse(event, startRuns, processor, { context });
