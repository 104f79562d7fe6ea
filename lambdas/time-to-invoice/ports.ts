import type { Money } from '../../canonical';

/** An invoice to post, in the ERP's terms: lines in the contract currency, already rated and rounded. */
export interface ErpInvoiceDraft {
  /** Derived from contract and period, so a retried post can never make a second invoice. */
  readonly externalId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly tranDate: string;
  readonly lines: readonly { readonly itemId: string; readonly description: string; readonly quantity?: string; readonly rate?: string; readonly amount: Money }[];
}

/** The invoice as the ERP posted it: its number and tax are the ERP's to assign. */
export interface PostedInvoice {
  readonly id: string;
  readonly invoiceNumber: string;
  readonly subtotal: Money;
  readonly tax: Money;
  readonly total: Money;
}

/** The ERP's invoicing side. */
export interface InvoicingPort {
  postInvoice(invoice: ErpInvoiceDraft): Promise<PostedInvoice>;
}
