import type { Address, Money } from '../../canonical';

/**
 * The ERP as the workflows see it: customers and projects upserted by our global id (master data),
 * invoices posted by an external id derived from contract and period (billing), and invoices read back
 * for their payment state (receivables). Each ERP adapter translates these shapes to its wire format.
 */

/** The ERP customer to find or create, keyed by our global id as the external id. */
export interface ErpCustomerDraft {
  readonly externalId: string;
  readonly name: string;
  readonly billingAddress?: Address;
  readonly currency: string;
  /** The ERP owns it: sent when the customer is made, omitted afterwards so the ERP's value stays. */
  readonly paymentTermsCode?: string;
  /** The ERP owns it: sent when the customer is made, omitted afterwards so the ERP's value stays. */
  readonly taxProfileCode?: string;
  readonly legalEntityId: string;
}

/** The ERP project (NetSuite `job`) under its customer. */
export interface ErpProjectDraft {
  readonly externalId: string;
  /** The PSA owns it: sent when the project is made, omitted afterwards. */
  readonly name?: string;
  readonly customerId: string;
  /** The PSA owns it: sent when the project is made, omitted afterwards. */
  readonly startDate?: string;
  /** The PSA owns it: sent when the project is made, omitted afterwards. */
  readonly endDate?: string;
  readonly currency: string;
  /** Whose project it is: NetSuite OneWorld posts it to the legal entity's subsidiary. */
  readonly legalEntityId?: string;
}

/** The ERP: upserts by external id, so a repeated call never makes a second record. */
export interface ErpPort {
  upsertCustomer(customer: ErpCustomerDraft): Promise<{ id: string }>;
  upsertProject(project: ErpProjectDraft): Promise<{ id: string }>;
}

/** An invoice to post, in the ERP's terms: lines in the contract currency, already rated and rounded. */
export interface ErpInvoiceDraft {
  /** Derived from contract and period, so a retried post can never make a second invoice. */
  readonly externalId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly tranDate: string;
  readonly lines: readonly {
    readonly itemId: string;
    readonly description: string;
    readonly quantity?: string;
    readonly rate?: string;
    readonly amount: Money;
  }[];
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

/** An invoice's payment state as the ERP holds it. */
export interface ErpInvoiceStatus {
  readonly id: string;
  /** Our reference on the invoice: NetSuite's `externalId`, Business Central's `externalDocumentNumber`. */
  readonly externalId?: string;
  readonly invoiceNumber: string;
  readonly total: Money;
  readonly amountPaid: Money;
  readonly amountDue: Money;
  readonly lastModified: string;
}

/** The ERP's receivables side, polled for payments. */
export interface PaymentsPort {
  /** Invoices changed at or after `since` (ISO), every page. */
  invoicesChangedSince(since: string): Promise<ErpInvoiceStatus[]>;
}

/** One of our invoices as the ERP holds it, read back for reconciliation. */
export interface ErpInvoiceOfPeriod {
  readonly id: string;
  /** Our reference on the invoice: NetSuite's `externalId`, Business Central's `externalDocumentNumber`. */
  readonly reference: string;
  readonly invoiceNumber: string;
  readonly total: Money;
  /** The invoice's date (`yyyy-mm-dd`): NetSuite's `tranDate`, Business Central's `invoiceDate`. */
  readonly date: string;
}

/** The ERP's invoices read back by date (reconciliation of PSA billing against ERP postings). */
export interface InvoiceReadPort {
  /** Our invoices (those carrying our external id or document number) dated from `from` to `to` (`yyyy-mm-dd`, inclusive), every page. */
  invoicesDatedIn(from: string, to: string): Promise<ErpInvoiceOfPeriod[]>;
}
