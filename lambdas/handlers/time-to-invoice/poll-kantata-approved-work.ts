import { pollAndPublish } from '../../common/polling/poll-and-publish';
import { approvedWorkEvent, milestoneCompletedEvent } from '../../ports/approved-work-events';
import { container } from '../../wiring/container';
import { pollConsumer } from '../../wiring/polling';

/** Polls one Kantata instance per request (its schedule), publishing approved work as canonical events. */
export const handler = pollConsumer(container('PollKantataApprovedWork', 'read'), {
  requestQueue: 'PsaPollRequests',
  name: 'kantata-approved-work',
  metric: 'ApprovedWork-published',
  poll: ({ instance, correlationId, ports, timeLeftMs, dependencies }) => {
    const source = { vendor: 'kantata' as const, instance };
    const psa = ports.psaBillingFor(instance);
    return pollAndPublish(
      {
        timeLeftMs,
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
      dependencies,
    );
  },
});
