import { CURRENCY_EXPONENTS, type InvoicePostedEvent, type Money, majorUnits } from '../../canonical';
import { ContractUnknownError } from '../common/errors';
import type { BillingLedger } from '../ports/billing-ledger';
import type { CrmBillingPort } from '../ports/crm';

/** An invoice total in major units with its currency, as a person reads it on the CRM account: `3247.25 USD`. */
export function readableTotal(total: Money): string {
  return `${majorUnits(total).toFixed(CURRENCY_EXPONENTS[total.currency])} ${total.currency}`;
}

/**
 * Writes a posted invoice's billing health to the customer's account in the CRM the deal came from:
 * status, number, posting date and total. Writing the same invoice twice writes the same values.
 */
export async function reportInvoiceToCrm(
  event: InvoicePostedEvent,
  deps: { ledger: BillingLedger; crmBillingFor: (crmInstance: string) => CrmBillingPort },
): Promise<{ accountId: string } | { skipped: string }> {
  const contract = await deps.ledger.contractById(event.payload.contractGlobalId);
  if (!contract)
    throw new ContractUnknownError(
      `invoice ${event.payload.invoiceNumber} names contract ${event.payload.contractGlobalId}, which the billing ledger does not know`,
    );
  if (!contract.crm.accountId) return { skipped: `the contract of ${contract.name} has no CRM account id (recorded before accounts were kept)` };
  const total = event.payload.total;
  await deps.crmBillingFor(contract.crm.instance).writeBillingHealth(contract.crm.accountId, {
    status: 'invoiced',
    lastInvoiceNumber: event.payload.invoiceNumber,
    lastInvoiceDate: event.payload.postingDate,
    lastInvoiceTotal: readableTotal(total),
  });
  return { accountId: contract.crm.accountId };
}
