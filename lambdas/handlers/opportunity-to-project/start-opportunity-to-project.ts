import { type OpportunityWonEvent, parseCanonicalEvent } from '../../../canonical';
import { sqsConsumer } from '../../common/sqs-consumer';
import { startExecutionOnce } from '../../common/start-execution';
import { executionName } from '../../opportunity-to-project/execution-name';
import { container } from '../../wiring/container';

const c = container('StartOpportunityToProject');
const stateMachineArn = c.env.stateMachineArn('OpportunityToProject');

/** Starts one execution per opportunity revision from the start queue, under its deterministic name. */
export const handler = sqsConsumer(async (record, _context, log) => {
  // The body is the EventBridge event; its detail is the canonical event.
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as OpportunityWonEvent;
  const name = executionName(event);
  log.appendKeys({ correlationId: event.correlationId });
  // The same deal revision already ran or is running: a duplicate start is a no-op, by design.
  const started = await startExecutionOnce(stateMachineArn, name, { event });
  log.info(started ? 'Execution started' : 'Execution already exists; duplicate start ignored', { execution: name });
});
