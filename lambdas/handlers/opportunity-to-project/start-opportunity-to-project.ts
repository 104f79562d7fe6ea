import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { type OpportunityWonEvent, parseCanonicalEvent } from '../../../canonical';
import { stepFunctions } from '../../shared/clients/step-functions';
import { logger, requiredEnvironment } from '../../shared/runtime';
import { executionName } from '../../opportunity-to-project/execution-name';

const processor = new BatchProcessor(EventType.SQS);

async function start(record: SQSRecord): Promise<void> {
  // The body is the EventBridge event; its detail is the canonical event.
  const envelope = JSON.parse(record.body) as { detail: unknown };
  const event = parseCanonicalEvent(envelope.detail) as OpportunityWonEvent;
  const name = executionName(event);
  logger.appendKeys({ correlationId: event.correlationId });
  try {
    await stepFunctions().send(
      new StartExecutionCommand({ stateMachineArn: requiredEnvironment('OPPORTUNITY_TO_PROJECT_STATE_MACHINE_ARN'), name, input: JSON.stringify({ event }) }),
    );
    logger.info('Execution started', { execution: name });
  } catch (error) {
    // The same deal revision already ran or is running: a duplicate start is a no-op, by design.
    if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') {
      logger.info('Execution already exists; duplicate start ignored', { execution: name });
      return;
    }
    throw error;
  }
}

/** Starts one execution per opportunity revision from the start queue. */
export const handler = async (event: SQSEvent, context: Context) => processPartialResponse(event, start, processor, { context });
