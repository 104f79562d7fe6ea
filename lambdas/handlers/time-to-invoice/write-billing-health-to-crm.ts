import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { type InvoicePostedEvent, parseCanonicalEvent } from '../../../canonical';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { reportInvoiceToCrm } from '../../invoice-payment-status/billing-health';
import { container } from '../../wiring/container';
import { billingLedger } from '../../wiring/tables';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('WriteBillingHealthToCrm', 'sync');
const vendors = vendorPorts(c);
const ledger = billingLedger(c);

async function report(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(record.body) as { detail: unknown }).detail) as InvoicePostedEvent;
  log.appendKeys({ correlationId: event.correlationId });
  const ports = vendors.ports({ execution: `invoice-${event.payload.invoiceNumber}`, correlationId: event.correlationId });
  const result = await reportInvoiceToCrm(event, { ledger: ledger, crmBillingFor: ports.crmBillingFor });
  metrics.addMetric('skipped' in result ? 'BillingHealth-skipped' : 'BillingHealth-written', 'Count', 1);
  log.info('Billing health written to the CRM account', { invoiceNumber: event.payload.invoiceNumber, ...result });
}

/** Writes billing health to the CRM account for each posted invoice; failures are redelivered, then dead-lettered. */
export const handler = sqsConsumer(report);
