import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { adapters } from '../../wiring/adapters';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { pollAgain } from '../../shared/polling/poll-and-publish';
import { vendorSecret } from '../../wiring/secrets';
import { publishPaymentsSince } from '../../invoice-payment-status/publish-payments';
import { sqsConsumer } from '../../shared/sqs-consumer';

const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

async function poll(record: SQSRecord, context: Context): Promise<void> {
  const { instance } = PollRequest.parse(JSON.parse(record.body));
  const correlationId = `payments-${instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const erp = adapters(deploymentConfig(), vendorSecret, { audit: { record: async () => undefined }, execution: correlationId, correlationId }).paymentsFor(instance);
  const result = await publishPaymentsSince(erp, { vendor: 'netsuite', instance }, correlationId, () => context.getRemainingTimeInMillis());
  metrics.addMetric('Payments-published', 'Count', result.published);
  logger.info('NetSuite invoices polled for payments', { instance, ...result });
  if (result.more) await pollAgain(requiredEnvironment('ERP_POLL_REQUESTS_QUEUE_URL'), instance);
}

/** Polls one NetSuite account per request (its schedule) for payments on our invoices. */
export const handler = sqsConsumer(poll);
