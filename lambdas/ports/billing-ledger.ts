import type { BillingContract, BillingHistory, ExpenseToBill, InvoiceDraft, TimeEntryToBill } from './billing-values';
import type { PostedInvoice } from './erp';
import type { ApprovedWork, PsaInvoice, PsaProjectRef } from './psa';

/**
 * The billing ledger: our own record of contracts, approved work and the invoices made of it, kept in
 * DynamoDB (`lambdas/dynamodb/billing-ledger.ts`) and read by billing, payment status and the intake of
 * approved work.
 */

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
  workOf(
    psa: PsaProjectRef,
  ): Promise<{ time: TimeEntryToBill[]; expenses: ExpenseToBill[]; milestonesCompleted: ReadonlyMap<string, string>; history: BillingHistory }>;
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

/**
 * What the PSA records of a posted ledger invoice: its ERP number, date, tax and total, and the time
 * entries and expenses it billed (read back from its pages). Billing records it once posted; the
 * reconciliation repairs an invoice the PSA lacks with the same record.
 */
export async function psaInvoiceOf(
  ledger: Pick<BillingLedger, 'workOf' | 'billedIdsPage'>,
  invoice: LedgerInvoice & { readonly posted: NonNullable<LedgerInvoice['posted']> },
  externalId: string,
): Promise<PsaInvoice> {
  const { psa, periodStart } = invoice.key;
  const work = await ledger.workOf(psa);
  const billed = new Set<string>();
  for (let page = 0; page < invoice.pages; page++) for (const id of await ledger.billedIdsPage(psa, periodStart, page)) billed.add(id);
  return {
    externalId,
    invoiceNumber: invoice.posted.invoiceNumber,
    postingDate: invoice.posted.postingDate,
    tax: invoice.posted.tax,
    total: invoice.posted.total,
    timeEntryIds: work.time.filter((t) => billed.has(t.id)).map((t) => t.id),
    expenseIds: work.expenses.filter((e) => billed.has(e.id)).map((e) => e.id),
  };
}
