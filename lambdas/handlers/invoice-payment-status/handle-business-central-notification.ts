import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { BusinessCentralNotification } from '../../business-central/notification-intake';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { paymentEvents } from '../../invoice-payment-status/payments';
import { canonicalPublisher } from '../../wiring/bus';
import { container } from '../../wiring/container';
import { queueSender } from '../../wiring/queues';
import { vendorPorts } from '../../wiring/vendor-ports';

// A read flow: a month-end flood of notifications about our own invoices must not take billing's slots.
const c = container('HandleBusinessCentralNotification', 'read');
const vendors = vendorPorts(c);
const publish = canonicalPublisher(c);
const queues = queueSender(c);

const QueuedNotification = z.object({ instance: z.string().min(1), notification: BusinessCentralNotification, correlationId: z.string().min(1) });

/**
 * Re-reads what a notification names (notifications carry no record data) and publishes a payment on
 * one of our invoices as `payment.received`. A `collection` notification (more than 1,000 changes)
 * names no record: it asks the renewal job, one request at a time, to list the changed invoices from
 * its checkpoint, so two collections never race one checkpoint.
 */
async function reread(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const { instance, notification, correlationId } = QueuedNotification.parse(JSON.parse(record.body));
  log.appendKeys({ correlationId });
  if (notification.changeType === 'collection') {
    await queues.send('ErpSubscriptionRenewals', [{ instance, reason: 'collection' }]);
    metrics.addMetric('BusinessCentralNotification-collection', 'Count', 1);
    log.info('Business Central collection notification: catch-up requested', { instance });
    return;
  }
  if (notification.changeType === 'deleted') {
    metrics.addMetric('BusinessCentralNotification-deleted', 'Count', 1);
    log.info('Business Central reported a deleted record; nothing to re-read', { instance });
    return;
  }
  const status = await vendors.businessCentral(instance).invoiceStatusOf(notification.resource);
  const events = status === undefined ? [] : paymentEvents({ vendor: 'business-central', instance }, [status], correlationId);
  await publish('ps-sync.business-central', events);
  metrics.addMetric('Payments-published', 'Count', events.length);
  log.info('Business Central notification re-read', { instance, changeType: notification.changeType, invoice: status?.id, payments: events.length });
}

/** Re-reads each notified Business Central record; failures are redelivered, then dead-lettered. */
export const handler = sqsConsumer(reread);
