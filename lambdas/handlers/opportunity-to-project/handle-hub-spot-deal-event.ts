import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { idempotencyConfig, idempotencyStore } from '../../common/idempotency';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { deferringWhenBusy } from '../../common/sqs-deferral';
import { handleDealEvent } from '../../hubspot/deal-events';
import type { QueuedDealEvent } from '../../hubspot/webhook-events';
import { canonicalPublisher } from '../../wiring/bus';
import { container } from '../../wiring/container';
import { deferToQueue } from '../../wiring/queues';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('HandleHubSpotDealEvent', 'read');
const publish = canonicalPublisher(c);
const vendors = vendorPorts(c);
const config = idempotencyConfig('dedupKey', c.env.idempotencyTtlSeconds);

// Deduplication on HubSpot's documented key: a retried or replayed delivery returns the first result.
const handleOnce = makeIdempotent(
  (queued: QueuedDealEvent) =>
    handleDealEvent(queued, {
      settingsOf: (instance) => {
        const crm = c.config.vendorInstances.find((v) => v.id === instance)?.crm;
        if (crm === undefined) throw new Error(`${instance} is not a configured CRM instance`);
        return crm;
      },
      readDeal: (instance, dealId) =>
        vendors
          .ports({ execution: `deal-event-${queued.dedupKey}`, correlationId: queued.correlationId })
          .hubSpotFor(instance)
          .readDeal(dealId),
      publish: (event) => publish('ps-sync.hubspot', [event]),
      now: c.clock,
    }),
  { persistenceStore: idempotencyStore(c.env.tableName('idempotency')), config },
);

async function processRecord(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const queued = JSON.parse(record.body) as QueuedDealEvent;
  log.appendKeys({ correlationId: queued.correlationId });
  const outcome = await handleOnce(queued);
  metrics.addMetric(`DealEvent-${outcome}`, 'Count', 1);
  log.info('HubSpot deal event handled', { outcome, objectId: queued.event.objectId });
}

/** Consumes verified HubSpot deal events; failed records are reported back for redelivery. */
export const handler = sqsConsumer(deferringWhenBusy(processRecord, deferToQueue(c, 'HubspotDealEvents')), { idempotency: config });
