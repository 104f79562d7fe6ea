import type { Money } from '../../canonical';
import type { BillingContract, BillingHistory, ExpenseToBill, InvoiceDraft, TimeEntryToBill } from './domain/billing-engine';

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

/** A PSA project: where approved work comes from, and the key billing runs by. */
export interface PsaProjectRef {
  readonly instance: string;
  readonly projectId: string;
}

/**
 * The contract a PSA project bills under, as opportunity to project recorded it when the project was
 * activated: the terms the billing engine applies and the ids an invoice needs.
 */
export interface ContractRecord {
  readonly psa: PsaProjectRef;
  readonly erp: { readonly instance: string; readonly customerId: string; readonly projectId: string };
  readonly crm: { readonly instance: string; readonly opportunityId: string; readonly accountId?: string };
  readonly projectGlobalId: string;
  readonly legalEntityId: string;
  readonly businessUnit: string;
  readonly name: string;
  readonly terms: BillingContract;
}

/** Approved work as the ledger keeps it: one time entry or expense, with the version it was approved at. */
export type ApprovedWork = { readonly kind: 'time'; readonly item: TimeEntryToBill } | { readonly kind: 'expense'; readonly item: ExpenseToBill };

/** What recording approved work did. */
export type RecordWorkOutcome = 'recorded' | 'unchanged' | 'changed-after-billing';

/** An invoice of a contract and period as the ledger tracks it through the run. */
export interface LedgerInvoice {
  readonly key: { readonly psa: PsaProjectRef; readonly periodStart: string };
  readonly status: 'drafted' | 'posted' | 'marked';
  /** The draft without its billed ids (kept in pages beside it). */
  readonly draft: Omit<InvoiceDraft, 'billedIds'>;
  readonly pages: number;
  readonly posted?: PostedInvoice & { readonly postingDate: string };
  /** Time billed by this invoice, in minor units, counted against the not-to-exceed cap. */
  readonly timeMinor: number;
}

/** The billing ledger: contracts, approved work, and the invoices made of it. */
export interface BillingLedger {
  recordContract(contract: ContractRecord): Promise<void>;
  contractOf(psa: PsaProjectRef): Promise<ContractRecord | undefined>;
  /** The contract by its id (the project's global id), as `invoice.posted` names it. */
  contractById(contractId: string): Promise<ContractRecord | undefined>;
  /** Every project with a recorded contract: each is billed every month (a run with nothing to bill ends at once). */
  contracts(): Promise<PsaProjectRef[]>;
  /** Records approved work once per version; a change to work already billed is refused, not applied. */
  recordWork(psa: PsaProjectRef, work: ApprovedWork, version: string): Promise<RecordWorkOutcome>;
  /** Records a milestone's completion; the first completion counts, later ones change nothing. */
  recordMilestoneCompleted(psa: PsaProjectRef, milestoneKey: string, completedOn: string): Promise<'recorded' | 'unchanged'>;
  /** All work of a project with what is billed, and the history the billing engine needs. */
  workOf(psa: PsaProjectRef): Promise<{ time: TimeEntryToBill[]; expenses: ExpenseToBill[]; milestonesCompleted: ReadonlyMap<string, string>; history: BillingHistory }>;
  /** Projects with work dated in a month (`yyyy-mm`). */
  projectsWithWorkIn(month: string): Promise<PsaProjectRef[]>;
  invoiceOf(psa: PsaProjectRef, periodStart: string): Promise<LedgerInvoice | undefined>;
  /** Saves a draft and its billed ids in pages; a draft already saved for the period is kept (the same run retried). */
  saveDraft(psa: PsaProjectRef, draft: InvoiceDraft, pageSize: number): Promise<LedgerInvoice>;
  billedIdsPage(psa: PsaProjectRef, periodStart: string, page: number): Promise<string[]>;
  /** Remembers which contract and period an invoice's global id is (payments name invoices by it). */
  recordInvoiceKey(invoiceGlobalId: string, psa: PsaProjectRef, periodStart: string): Promise<void>;
  invoiceByGlobalId(invoiceGlobalId: string): Promise<{ psa: PsaProjectRef; periodStart: string } | undefined>;
  recordPosted(psa: PsaProjectRef, periodStart: string, posted: PostedInvoice & { postingDate: string }): Promise<void>;
  /** Marks a page of work billed by the invoice (idempotent). */
  markBilled(psa: PsaProjectRef, periodStart: string, ids: readonly string[]): Promise<void>;
  recordMarked(psa: PsaProjectRef, periodStart: string): Promise<void>;
}

/** Approved work as the PSA lists it when polled. */
export interface PolledWork {
  readonly work: ApprovedWork;
  readonly projectId: string;
  /** When the PSA last changed the record (ISO): the poll's checkpoint and the ledger's version. */
  readonly updatedAt: string;
  readonly resourceId: string;
}

/** A milestone the PSA marked completed. */
export interface CompletedMilestone {
  readonly projectId: string;
  readonly milestoneId: string;
  readonly completedOn: string;
  readonly updatedAt: string;
}

/** What the PSA records of a posted invoice: which work it billed, and the ERP's number, tax and total. */
export interface PsaInvoice {
  /** Our key of the invoice (contract and period), attached as an external reference. */
  readonly externalId: string;
  readonly invoiceNumber: string;
  readonly postingDate: string;
  readonly tax: Money;
  readonly total: Money;
  readonly timeEntryIds: readonly string[];
  readonly expenseIds: readonly string[];
}

/** The PSA's billing side. */
export interface PsaBillingPort {
  /** Approved time entries and expenses changed after `updatedAfter` (ISO), every page. */
  approvedWorkSince(updatedAfter: string): Promise<PolledWork[]>;
  /** Milestones marked completed after `updatedAfter` (ISO), every page. */
  completedMilestonesSince(updatedAfter: string): Promise<CompletedMilestone[]>;
  /** Records an invoice's payment state on the PSA's invoice (found by its external reference). */
  recordPaymentStatus(externalId: string, payment: { state: 'partially-paid' | 'paid'; amountDue: Money }): Promise<void>;
  /** Marks the work invoiced and records the ERP's invoice on the project; finds it again if a retry made it already. */
  recordInvoice(projectId: string, invoice: PsaInvoice): Promise<{ id: string }>;
}

/** Billing health as the CRM shows it on the customer's account. */
export interface BillingHealth {
  readonly status: 'invoiced' | 'paid' | 'overdue';
  readonly lastInvoiceNumber: string;
  readonly lastInvoiceDate: string;
  /** The invoice total in major units with its currency, as a person reads it: `3247.25 USD`. */
  readonly lastInvoiceTotal: string;
}

/** The CRM's billing side: billing health on the customer's account. */
export interface CrmBillingPort {
  writeBillingHealth(accountId: string, health: BillingHealth): Promise<void>;
}
