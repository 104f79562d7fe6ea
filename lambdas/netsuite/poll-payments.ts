import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { parseCanonicalEvent } from '../../canonical';
import { newRecords, type PollCheckpoint, pollFrom } from '../kantata/poll-window';
import { adapters } from '../shared/adapters';
import { documents } from '../shared/clients/dynamodb';
import { PollCheckpointStore } from '../shared/poll-checkpoint-store';
import { events } from '../shared/clients/eventbridge';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { vendorSecret } from '../shared/secrets';
import { paymentEvents } from '../time-to-invoice/domain/billing-steps';

const processor = new BatchProcessor(EventType.SQS);
const OVERLAP_MS = 10 * 60 * 1000;
const FIRST_POLL_LOOKBACK_MS = 35 * 24 * 3600 * 1000;
const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

async function poll(record: SQSRecord): Promise<void> {
  const { instance } = PollRequest.parse(JSON.parse(record.body));
  const correlationId = `payments-${instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const table = requiredEnvironment('IDEMPOTENCY_TABLE_NAME');
  const store = new PollCheckpointStore(documents(), table);
  const checkpointId = `checkpoint#netsuite-payments#${instance}`;
  const checkpoint: PollCheckpoint = await store.load(checkpointId, () => ({ updatedAfter: new Date(Date.now() - FIRST_POLL_LOOKBACK_MS).toISOString(), recent: [] }));
  const erp = adapters(deploymentConfig(), vendorSecret, { audit: { record: async () => undefined }, execution: correlationId, correlationId }).paymentsFor(instance);
  const invoices = await erp.invoicesChangedSince(pollFrom(checkpoint, OVERLAP_MS));
  const { fresh, next } = newRecords(checkpoint, invoices.map((i) => ({ id: i.id, updated_at: i.lastModified })), OVERLAP_MS);
  const freshIds = new Set(fresh.map((f) => f.id));
  const toPublish = paymentEvents(instance, invoices.filter((i) => freshIds.has(i.id)), correlationId).map((e) => parseCanonicalEvent(e));
  for (let i = 0; i < toPublish.length; i += 10) {
    const result = await events().send(
      new PutEventsCommand({ Entries: toPublish.slice(i, i + 10).map((e) => ({ EventBusName: requiredEnvironment('EVENT_BUS_NAME'), Source: 'ps-sync.netsuite', DetailType: e.type, Detail: JSON.stringify(e) })) }),
    );
    // The checkpoint stays put unless every event is on the bus; the next poll repeats the window.
    if (result.FailedEntryCount) throw new Error(`EventBridge refused ${result.FailedEntryCount} payment events; the checkpoint was not advanced`);
  }
  await store.save(checkpointId, next);
  metrics.addMetric('Payments-published', 'Count', toPublish.length);
  logger.info('NetSuite invoices polled for payments', { instance, read: invoices.length, published: toPublish.length });
}

/** Polls one NetSuite account per request (its schedule) for payments on our invoices. */
export const handler = async (event: SQSEvent, context: Context) => {
  try {
    return await processPartialResponse(event, poll, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
