import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { type PaymentReceivedEvent, parseCanonicalEvent } from '../../../canonical';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { recordPayment } from '../../invoice-payment-status/payments';
import { container } from '../../wiring/container';
import { billingLedger } from '../../wiring/tables';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('RecordPaymentStatus', 'sync');
const vendors = vendorPorts(c);
const ledger = billingLedger(c);

async function record(message: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const event = parseCanonicalEvent((JSON.parse(message.body) as { detail: unknown }).detail) as PaymentReceivedEvent;
  log.appendKeys({ correlationId: event.correlationId });
  const ports = vendors.ports({ execution: `payment-${event.id}`, correlationId: event.correlationId });
  const result = await recordPayment(event, { ledger: ledger, psaBillingFor: ports.psaBillingFor, crmBillingFor: ports.crmBillingFor });
  metrics.addMetric('skipped' in result ? 'PaymentStatus-skipped' : `PaymentStatus-${result.state}`, 'Count', 1);
  log.info('Payment status recorded in the PSA and the CRM', { invoice: event.payload.invoice.id, ...result });
}

/** Records each payment on the PSA invoice and the CRM account; failures are redelivered, then dead-lettered. */
export const handler = sqsConsumer(record);
