import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { SQSRecord } from 'aws-lambda';
import { hubSpotFor } from '../../wiring/adapters';
import { idempotencyConfig, idempotencyStore } from '../../shared/idempotency';
import { publishCanonical } from '../../shared/canonical-bus';
import { deploymentConfig, logger, metrics } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { handleDealEvent } from '../../hubspot/deal-events';

import type { QueuedDealEvent } from '../../hubspot/webhook-events';
import { sqsConsumer } from '../../shared/sqs-consumer';

const config = idempotencyConfig('dedupKey');

// Deduplication on HubSpot's documented key: a retried or replayed delivery returns the first result.
const handleOnce = makeIdempotent(
  (queued: QueuedDealEvent) =>
    handleDealEvent(queued, {
      settingsOf: (instance) => {
        const crm = deploymentConfig().vendorInstances.find((v) => v.id === instance)?.crm;
        if (crm === undefined) throw new Error(`${instance} is not a configured CRM instance`);
        return crm;
      },
      readDeal: (instance, dealId) => hubSpotFor(deploymentConfig(), instance, vendorSecret).readDeal(dealId),
      publish: (event) => publishCanonical('ps-sync.hubspot', [event]),
      now: () => new Date(),
    }),
  { persistenceStore: idempotencyStore(), config },
);

async function processRecord(record: SQSRecord): Promise<void> {
  const queued = JSON.parse(record.body) as QueuedDealEvent;
  logger.appendKeys({ correlationId: queued.correlationId });
  const outcome = await handleOnce(queued);
  metrics.addMetric(`DealEvent-${outcome}`, 'Count', 1);
  logger.info('HubSpot deal event handled', { outcome, objectId: queued.event.objectId });
}

/** Consumes verified HubSpot deal events; failed records are reported back for redelivery. */
export const handler = sqsConsumer(processRecord, { idempotency: config });
