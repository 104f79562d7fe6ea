import type { SQSRecord } from 'aws-lambda';
import { type InvoicePostedEvent, parseCanonicalEvent } from '../../../canonical';
import { adapters } from '../../wiring/adapters';
import { DynamoDbAuditTrail } from '../../shared/audit-trail';
import { documents } from '../../shared/clients/dynamodb';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { reportInvoiceToCrm } from '../../invoice-payment-status/billing-health';
import { DynamoDbBillingLedger } from '../../dynamodb/billing-ledger';
import { sqsConsumer } from '../../shared/sqs-consumer';


async function report(record: SQSRecord): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as InvoicePostedEvent;
  logger.appendKeys({ correlationId: event.correlationId });
  const audit = new DynamoDbAuditTrail(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), 400);
  const ports = adapters(deploymentConfig(), vendorSecret, { audit, execution: `invoice-${event.payload.invoiceNumber}`, correlationId: event.correlationId });
  const result = await reportInvoiceToCrm(event, { ledger: new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME')), crmBillingFor: ports.crmBillingFor });
  metrics.addMetric('skipped' in result ? 'BillingHealth-skipped' : 'BillingHealth-written', 'Count', 1);
  logger.info('Billing health written to the CRM account', { invoiceNumber: event.payload.invoiceNumber, ...result });
}

/** Writes billing health to the CRM account for each posted invoice; failures are redelivered, then dead-lettered. */
export const handler = sqsConsumer(report);
