import type { SQSRecord } from 'aws-lambda';
import { type PaymentReceivedEvent, parseCanonicalEvent } from '../../../canonical';
import { adapters } from '../../wiring/adapters';
import { DynamoDbAuditTrail } from '../../shared/audit-trail';
import { documents } from '../../shared/clients/dynamodb';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { recordPayment } from '../../invoice-payment-status/payments';
import { DynamoDbBillingLedger } from '../../dynamodb/billing-ledger';
import { sqsConsumer } from '../../shared/sqs-consumer';


async function record(message: SQSRecord): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(message.body) as { detail: unknown }).detail) as PaymentReceivedEvent;
  logger.appendKeys({ correlationId: event.correlationId });
  const audit = new DynamoDbAuditTrail(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), 400);
  const ports = adapters(deploymentConfig(), vendorSecret, { audit, execution: `payment-${event.id}`, correlationId: event.correlationId });
  const result = await recordPayment(event, { ledger: new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME')), psaBillingFor: ports.psaBillingFor, crmBillingFor: ports.crmBillingFor });
  metrics.addMetric('skipped' in result ? 'PaymentStatus-skipped' : `PaymentStatus-${result.state}`, 'Count', 1);
  logger.info('Payment status recorded in the PSA and the CRM', { invoice: event.payload.invoice.id, ...result });
}

/** Records each payment on the PSA invoice and the CRM account; failures are redelivered, then dead-lettered. */
export const handler = sqsConsumer(record);
