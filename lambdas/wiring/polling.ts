import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { PollDependencies, PollResult } from '../common/polling/poll-and-publish';
import { metrics } from '../common/runtime';
import { sqsConsumer } from '../common/sqs-consumer';
import { canonicalPublisher } from './bus';
import type { Container } from './container';
import { queueSender } from './queues';
import { pollCheckpoints } from './tables';
import { type Ports, vendorPorts } from './vendor-ports';

/** What `pollAndPublish` needs: the checkpoint store, the bus and the clock. */
export function pollDependencies(c: Container): PollDependencies {
  return { checkpoints: pollCheckpoints(c), publish: canonicalPublisher(c), now: c.clock };
}

/** A request to poll one instance: from its schedule, from a person, or from a poll that left a backlog. */
const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

/** One poll of an instance, given its ports, correlation id, the Lambda's remaining time and the poll's dependencies. */
export type PollOnce = (poll: {
  readonly instance: string;
  readonly correlationId: string;
  readonly ports: Ports;
  readonly timeLeftMs: () => number;
  readonly dependencies: PollDependencies;
}) => Promise<PollResult>;

/**
 * The consumer of a poll's request queue, the same for every poll: one instance per request, a
 * correlation id per request, the result counted and logged, and the next poll asked for at once on
 * the same queue while a backlog is left.
 */
export function pollConsumer(
  c: Container,
  options: { readonly requestQueue: string; readonly name: string; readonly metric: string; readonly poll: PollOnce },
) {
  const vendors = vendorPorts(c);
  const queues = queueSender(c);
  const dependencies = pollDependencies(c);
  return sqsConsumer(async (record: SQSRecord, context: Context, log) => {
    const { instance } = PollRequest.parse(JSON.parse(record.body));
    const correlationId = `${options.name}-${instance}-${record.messageId}`;
    log.appendKeys({ correlationId });
    const ports = vendors.ports({ execution: correlationId, correlationId });
    const result = await options.poll({ instance, correlationId, ports, timeLeftMs: () => context.getRemainingTimeInMillis(), dependencies });
    metrics.addMetric(options.metric, 'Count', result.published);
    log.info('Poll done', { poll: options.name, instance, ...result });
    if (result.more) await queues.pollAgain(options.requestQueue, instance);
  });
}
