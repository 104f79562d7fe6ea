import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { pollAndPublish } from '../../common/polling/poll-and-publish';
import { logger, metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { approvedWorkEvent, milestoneCompletedEvent } from '../../ports/approved-work-events';
import { container } from '../../wiring/container';
import { pollDependencies } from '../../wiring/polling';
import { queueSender } from '../../wiring/queues';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('PollKantataApprovedWork', 'read');
const vendors = vendorPorts(c);
const queues = queueSender(c);
const polling = pollDependencies(c);
const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

async function poll(record: SQSRecord, context: Context): Promise<void> {
  const { instance } = PollRequest.parse(JSON.parse(record.body));
  const correlationId = `poll-${instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const source = { vendor: 'kantata' as const, instance };
  const psa = vendors.ports({ execution: correlationId, correlationId }).psaBillingFor(instance);
  const result = await pollAndPublish(
    {
      timeLeftMs: () => context.getRemainingTimeInMillis(),
      checkpointId: `checkpoint#kantata-approved-work#${instance}`,
      source: 'ps-sync.kantata',
      // Time entries, expenses and milestones have separate id spaces: records are keyed by kind and id.
      read: async (from) => [
        ...(await psa.approvedWorkSince(from)).map((p) => ({
          key: `${p.work.kind}:${p.work.item.id}`,
          updatedAt: p.updatedAt,
          event: () => approvedWorkEvent(source, p, correlationId),
        })),
        ...(await psa.completedMilestonesSince(from)).map((m) => ({
          key: `milestone:${m.milestoneId}`,
          updatedAt: m.updatedAt,
          event: () => milestoneCompletedEvent(source, m, correlationId),
        })),
      ],
    },
    polling,
  );
  metrics.addMetric('ApprovedWork-published', 'Count', result.published);
  logger.info('Kantata approved work polled', { instance, ...result });
  if (result.more) await queues.pollAgain('PsaPollRequests', instance);
}

/** Polls one Kantata instance per request (its schedule), publishing approved work as canonical events. */
export const handler = sqsConsumer(poll);
