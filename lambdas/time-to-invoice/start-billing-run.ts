import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { stepFunctions } from '../shared/clients/step-functions';
import { logger, requiredEnvironment } from '../shared/runtime';

const processor = new BatchProcessor(EventType.SQS);

const BillingRunStart = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  input: z.object({ psa: z.object({ instance: z.string(), projectId: z.string() }), periodStart: z.string(), periodEnd: z.string(), correlationId: z.string() }),
});

async function start(record: SQSRecord): Promise<void> {
  const { name, input } = BillingRunStart.parse(JSON.parse(record.body));
  logger.appendKeys({ correlationId: input.correlationId });
  try {
    await stepFunctions().send(new StartExecutionCommand({ stateMachineArn: requiredEnvironment('TIME_TO_INVOICE_STATE_MACHINE_ARN'), name, input: JSON.stringify(input) }));
    logger.info('Billing run started', { execution: name });
  } catch (error) {
    // One execution per contract and period: a repeated start is a no-op.
    if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') {
      logger.info('Billing run already exists; duplicate start ignored', { execution: name });
      return;
    }
    throw error;
  }
}

/** Starts one time-to-invoice execution per message, under its deterministic name. */
export const handler = async (event: SQSEvent, context: Context) => processPartialResponse(event, start, processor, { context });
