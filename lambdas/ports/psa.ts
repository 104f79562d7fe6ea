import type { Money, RateCardLine } from '../../canonical';
import type { ExpenseToBill, TimeEntryToBill } from './billing-values';

/**
 * The PSA as the workflows see it: the project shell opportunity to project creates (creates are not
 * idempotent in Kantata, so the workflow looks before it creates), the approved work and milestones
 * billing polls, and the invoices and payments it records back.
 */

/** The PSA project shell with what billing later depends on. */
export interface PsaProjectDraft {
  /** Our global id, attached as the vendor's external reference so a lost create can be found again. */
  readonly externalReference: string;
  readonly name: string;
  readonly customerName: string;
  readonly currency: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly billingModel: string;
  readonly budget?: Money;
  readonly tasks: readonly { name: string; billable: boolean; estimatedHours?: string }[];
  readonly milestones: readonly { name: string; amount: Money; dueDate?: string }[];
  readonly rateCard: readonly RateCardLine[];
}

/**
 * The PSA project shell, built in three resumable parts (the project, its plan, its rate card). Creates
 * are not idempotent in Kantata, so every record is written with our reference in the same request and
 * each part looks for what an earlier attempt made before it makes anything.
 */
export interface PsaPort {
  /** Refuses, before anything is written, a draft the PSA cannot hold (a rate card role it lacks). */
  checkProject(project: PsaProjectDraft): Promise<void>;
  findProjectByExternalReference(externalReference: string): Promise<{ id: string } | undefined>;
  /** Creates the project itself, its external reference written in the same request. */
  createProject(project: PsaProjectDraft): Promise<{ id: string }>;
  /** Adds the tasks and milestones the project lacks; returns the PSA id of each milestone by name. */
  ensurePlan(projectId: string, project: PsaProjectDraft): Promise<{ milestoneIds: Readonly<Record<string, string>> }>;
  /** Applies a later revision's changes of the attributes the CRM owns (the budget, the currency). */
  updateProject(projectId: string, changes: { readonly budget?: Money; readonly currency?: string }): Promise<void>;
  /** Gives the project the contract's rate card unless it has one, resuming a rate card an earlier attempt began. */
  ensureRateCard(projectId: string, project: PsaProjectDraft): Promise<{ rateCardId: string | undefined }>;
}

/** A PSA project: where approved work comes from, and the key billing runs by. */
export interface PsaProjectRef {
  readonly instance: string;
  readonly projectId: string;
}

/** Approved work as the ledger keeps it: one time entry or expense, with the version it was approved at. */
export type ApprovedWork = { readonly kind: 'time'; readonly item: TimeEntryToBill } | { readonly kind: 'expense'; readonly item: ExpenseToBill };

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

/** One of our invoices as the PSA holds it, read back for reconciliation. */
export interface PsaInvoiceOfPeriod {
  readonly id: string;
  readonly projectId: string;
  /** Our key of the invoice (contract and period), from its external reference. */
  readonly externalId: string;
  /** The ERP's number, as recorded on the PSA invoice. */
  readonly invoiceNumber?: string;
  readonly total?: Money;
  /** `yyyy-mm-dd`. */
  readonly date?: string;
}

/** The PSA's invoices read back (reconciliation of PSA billing against ERP postings). */
export interface PsaInvoiceReadPort {
  /** Our invoices (those with our external reference) of these projects dated from `from` to `to` (`yyyy-mm-dd`, inclusive). */
  invoicesOf(projectIds: readonly string[], from: string, to: string): Promise<PsaInvoiceOfPeriod[]>;
}
