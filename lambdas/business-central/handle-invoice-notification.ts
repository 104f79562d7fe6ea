import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { businessCentralFor } from '../shared/adapters';
import { publishCanonical } from '../shared/canonical-bus';
import { pollAndPublish } from '../shared/poll-and-publish';
import { deploymentConfig, logger, metrics } from '../shared/runtime';
import { vendorSecret } from '../shared/secrets';
import { paymentEvents } from '../time-to-invoice/domain/billing-steps';
import { BusinessCentralNotification } from './notification-intake';

const processor = new BatchProcessor(EventType.SQS);
const QueuedNotification = z.object({ instance: z.string().min(1), notification: BusinessCentralNotification, correlationId: z.string().min(1) });

/**
 * Re-reads what a notification names (notifications carry no record data) and publishes a payment on
 * one of our invoices as `payment.received`. A `collection` notification (more than 1,000 changes)
 * names no record: the changed invoices are listed from the instance's checkpoint instead, which moves
 * only after every payment read is on the bus.
 */
async function reread(record: SQSRecord): Promise<void> {
  const { instance, notification, correlationId } = QueuedNotification.parse(JSON.parse(record.body));
  logger.appendKeys({ correlationId });
  const erp = businessCentralFor(deploymentConfig(), instance, vendorSecret);
  const source = { vendor: 'business-central' as const, instance };
  if (notification.changeType === 'collection') {
    const result = await pollAndPublish({
      checkpointId: `checkpoint#business-central-invoices#${instance}`,
      source: 'ps-sync.business-central',
      read: async (from) => (await erp.invoicesChangedSince(from)).map((i) => ({ key: i.id, updatedAt: i.lastModified, event: () => paymentEvents(source, [i], correlationId)[0] })),
    });
    metrics.addMetric('Payments-published', 'Count', result.published);
    logger.info('Business Central invoices listed after a collection notification', { instance, ...result });
    return;
  }
  if (notification.changeType === 'deleted') {
    logger.info('Business Central reported a deleted record; nothing to re-read', { instance, changeType: notification.changeType });
    return;
  }
  const status = await erp.invoiceStatusOf(notification.resource);
  const events = status === undefined ? [] : paymentEvents(source, [status], correlationId);
  await publishCanonical('ps-sync.business-central', events);
  metrics.addMetric('Payments-published', 'Count', events.length);
  logger.info('Business Central notification re-read', { instance, changeType: notification.changeType, invoice: status?.id, payments: events.length });
}

/** Re-reads each notified Business Central record; failures are redelivered, then dead-lettered. */
export const handler = async (event: SQSEvent, context: Context) => {
  try {
    return await processPartialResponse(event, reread, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
