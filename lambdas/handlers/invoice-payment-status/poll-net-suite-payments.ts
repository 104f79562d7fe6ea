import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { logger, metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { publishPaymentsSince } from '../../invoice-payment-status/publish-payments';
import { container } from '../../wiring/container';
import { pollDependencies } from '../../wiring/polling';
import { queueSender } from '../../wiring/queues';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('PollNetSuitePayments', 'read');
const vendors = vendorPorts(c);
const queues = queueSender(c);
const polling = pollDependencies(c);
const PollRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

async function poll(record: SQSRecord, context: Context): Promise<void> {
  const { instance } = PollRequest.parse(JSON.parse(record.body));
  const correlationId = `payments-${instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const erp = vendors.ports({ execution: correlationId, correlationId }).paymentsFor(instance);
  const result = await publishPaymentsSince(erp, { vendor: 'netsuite', instance }, correlationId, () => context.getRemainingTimeInMillis(), polling);
  metrics.addMetric('Payments-published', 'Count', result.published);
  logger.info('NetSuite invoices polled for payments', { instance, ...result });
  if (result.more) await queues.pollAgain('ErpPollRequests', instance);
}

/** Polls one NetSuite account per request (its schedule) for payments on our invoices. */
export const handler = sqsConsumer(poll);
