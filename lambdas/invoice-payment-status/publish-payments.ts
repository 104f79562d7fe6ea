import { type PollDependencies, type PollResult, pollAndPublish } from '../common/polling/poll-and-publish';
import type { PaymentsPort } from '../ports/erp';
import { paymentEvents } from './payments';

/**
 * Lists an ERP's invoices changed since the checkpoint (minus the overlap) and publishes a payment on
 * each of ours as `payment.received`, moving the checkpoint only after they are on the bus. NetSuite is
 * polled this way every hour; Business Central after every hourly subscription check and on a
 * `collection` notification, so a payment whose notification never came is still heard within the hour.
 */
export async function publishPaymentsSince(
  erp: PaymentsPort,
  source: { vendor: 'netsuite' | 'business-central'; instance: string },
  correlationId: string,
  timeLeftMs: () => number,
  deps: PollDependencies,
): Promise<PollResult> {
  return pollAndPublish(
    {
      timeLeftMs,
      checkpointId: `checkpoint#${source.vendor}-payments#${source.instance}`,
      source: `ps-sync.${source.vendor}`,
      // Every changed invoice moves the window; only payments on ours make an event.
      read: async (from) =>
        (await erp.invoicesChangedSince(from)).map((i) => ({
          key: i.id,
          updatedAt: i.lastModified,
          event: () => paymentEvents(source, [i], correlationId)[0],
        })),
    },
    deps,
  );
}
