import type { PaymentReceivedEvent } from '../../canonical';
import { invoiceExternalId, ourInvoiceGlobalId } from '../common/billing-keys';
import { deterministicUuid } from '../common/deterministic-id';
import type { BillingLedger } from '../ports/billing-ledger';
import type { CrmBillingPort } from '../ports/crm';
import type { ErpInvoiceStatus } from '../ports/erp';
import type { PsaBillingPort } from '../ports/psa';
import { readableTotal } from './billing-health';

/**
 * The payment events of ERP invoices (polled, or re-read after a notification): one per invoice of
 * ours with a payment, its id fixed by the amount still due, so a re-read of the same state is the same
 * event and a new payment a new one.
 */
export function paymentEvents(
  erp: { vendor: 'netsuite' | 'business-central'; instance: string },
  invoices: readonly ErpInvoiceStatus[],
  correlationId: string,
): PaymentReceivedEvent[] {
  return invoices.flatMap((i) => {
    const globalId = ourInvoiceGlobalId(i.externalId);
    if (globalId === undefined || i.amountPaid.amountMinor <= 0) return [];
    return [
      {
        id: deterministicUuid('payment.received', `${erp.instance}:${i.id}:${i.amountDue.amountMinor}`),
        type: 'payment.received' as const,
        schemaVersion: 1 as const,
        source: { vendor: erp.vendor, instance: erp.instance },
        occurredAt: i.lastModified,
        correlationId,
        payload: {
          invoiceGlobalId: globalId,
          invoice: { instance: erp.instance, id: i.id },
          amountPaid: i.amountPaid,
          amountDue: i.amountDue,
          paidOn: i.lastModified.slice(0, 10),
          state: i.amountDue.amountMinor === 0 ? ('paid' as const) : ('partially-paid' as const),
        },
      },
    ];
  });
}

/** Records a payment on the PSA's invoice and the billing health on the CRM account. */
export async function recordPayment(
  event: PaymentReceivedEvent,
  deps: { ledger: BillingLedger; psaBillingFor: (psaInstance: string) => PsaBillingPort; crmBillingFor: (crmInstance: string) => CrmBillingPort },
): Promise<{ state: string } | { skipped: string }> {
  const key = await deps.ledger.invoiceByGlobalId(event.payload.invoiceGlobalId);
  if (!key) return { skipped: `invoice ${event.payload.invoice.id} was not posted by a billing run of this region` };
  const contract = (await deps.ledger.contractOf(key.psa))!;
  const invoice = (await deps.ledger.invoiceOf(key.psa, key.periodStart))!;
  const externalId = invoiceExternalId(contract.terms.contractId, key.periodStart);
  await deps.psaBillingFor(key.psa.instance).recordPaymentStatus(externalId, { state: event.payload.state, amountDue: event.payload.amountDue });
  if (contract.crm.accountId && invoice.posted) {
    const total = invoice.posted.total;
    await deps.crmBillingFor(contract.crm.instance).writeBillingHealth(contract.crm.accountId, {
      status: event.payload.state === 'paid' ? 'paid' : 'invoiced',
      lastInvoiceNumber: invoice.posted.invoiceNumber,
      lastInvoiceDate: invoice.posted.postingDate,
      lastInvoiceTotal: readableTotal(total),
    });
  }
  return { state: event.payload.state };
}
