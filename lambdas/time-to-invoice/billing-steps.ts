import { type DeploymentConfig, type InvoicePostedEvent, type Money, routeFlow, type Vendor } from '../../canonical';
import { invoiceExternalId, invoiceGlobalId } from '../common/billing-keys';
import { deterministicUuid } from '../common/deterministic-id';
import { ContractUnknownError, InvoiceItemsNotConfiguredError } from '../common/errors';
import { type BillingLedger, psaInvoiceOf } from '../ports/billing-ledger';
import type { DraftLine } from '../ports/billing-values';
import type { InvoicingPort } from '../ports/erp';
import type { PsaBillingPort, PsaProjectRef } from '../ports/psa';
import { draftInvoice, withCompletedMilestones } from './billing-engine';

/**
 * The steps of `time-to-invoice.asl.json`, one execution per contract and billing period. Large
 * periods never travel through the state machine: the draft and its billed ids stay in the ledger,
 * and the execution carries page numbers, which a Map state walks.
 */

/** Billed ids per ledger page: far below DynamoDB's 400 KB item and Lambda's payload limits. */
export const BILLED_IDS_PAGE_SIZE = 500;

/** The input of every step: which contract (by its PSA project) and which period. */
export interface BillingRunInput {
  readonly psa: PsaProjectRef;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly execution: string;
  readonly correlationId: string;
}

/** What drafting found. */
export type DraftOutcome =
  | { readonly status: 'nothing-to-bill' | 'already-invoiced'; readonly pages: readonly number[] }
  | { readonly status: 'switched-off'; readonly pages: readonly number[]; readonly reason: string }
  | { readonly status: 'ready'; readonly pages: readonly number[]; readonly total: Money; readonly lines: number };

/** Drafts the period's invoice once; a retried or re-run execution finds the same draft. */
export async function draftPeriodInvoice(input: BillingRunInput, deps: { ledger: BillingLedger; config: DeploymentConfig }): Promise<DraftOutcome> {
  const contract = await deps.ledger.contractOf(input.psa);
  if (!contract)
    throw new ContractUnknownError(
      `No contract is recorded for ${input.psa.instance} project ${input.psa.projectId}; it bills once opportunity to project has activated it`,
    );
  const route = routeFlow(deps.config, { flow: 'time-to-invoice', legalEntityId: contract.legalEntityId, businessUnit: contract.businessUnit });
  if (!route.enabled) return { status: 'switched-off', pages: [], reason: route.detail };
  const existing = await deps.ledger.invoiceOf(input.psa, input.periodStart);
  // Invoiced and marked: work approved since goes on the next period's invoice, never onto this one again.
  if (existing?.status === 'marked') return { status: 'already-invoiced', pages: [] };
  const saved =
    existing ??
    (await (async () => {
      const work = await deps.ledger.workOf(input.psa);
      const terms = withCompletedMilestones(contract.terms, work.milestonesCompleted);
      const draft = draftInvoice(terms, { start: input.periodStart, end: input.periodEnd }, { time: work.time, expenses: work.expenses }, work.history);
      return draft.lines.length === 0 ? undefined : deps.ledger.saveDraft(input.psa, draft, BILLED_IDS_PAGE_SIZE);
    })());
  if (!saved) return { status: 'nothing-to-bill', pages: [] };
  return { status: 'ready', pages: Array.from({ length: saved.pages }, (_, i) => i), total: saved.draft.total, lines: saved.draft.lines.length };
}

/** Which ERP item each kind of invoice line posts to. */
export type InvoiceItems = Readonly<Record<DraftLine['kind'], string>>;

/** Posts the draft to the ERP under an external id derived from contract and period; reads back number and tax. */
export async function postPeriodInvoice(
  input: BillingRunInput,
  deps: {
    ledger: BillingLedger;
    erp: InvoicingPort;
    itemsFor: (erpInstance: string) => InvoiceItems | undefined;
    countPosted: (legalEntityId: string, total: Money) => void;
  },
) {
  const contract = (await deps.ledger.contractOf(input.psa))!;
  const invoice = await deps.ledger.invoiceOf(input.psa, input.periodStart);
  if (!invoice) throw new Error(`No draft for ${input.psa.projectId} ${input.periodStart}: PostInvoice ran before DraftInvoice`);
  if (invoice.posted) return { invoiceNumber: invoice.posted.invoiceNumber, total: invoice.posted.total, tax: invoice.posted.tax };
  const items = deps.itemsFor(contract.erp.instance);
  if (!items)
    throw new InvoiceItemsNotConfiguredError(
      `ERP instance ${contract.erp.instance} has no invoiceItems (time, expense, milestone, retainer) in the deployment configuration`,
    );
  const posted = await deps.erp.postInvoice({
    externalId: invoiceExternalId(contract.terms.contractId, input.periodStart),
    customerId: contract.erp.customerId,
    currency: contract.terms.currency,
    tranDate: input.periodEnd,
    lines: invoice.draft.lines.map((l) => ({
      itemId: items[l.kind],
      description: l.description,
      ...(l.quantity ? { quantity: l.quantity } : {}),
      ...(l.unitPrice ? { rate: l.unitPrice } : {}),
      amount: l.amount,
    })),
  });
  await deps.ledger.recordPosted(input.psa, input.periodStart, { ...posted, postingDate: input.periodEnd });
  // Before tax, as the unbilled value is; a crash between recording and counting leaves one uncounted (never two).
  deps.countPosted(contract.legalEntityId, posted.subtotal);
  await deps.ledger.recordInvoiceKey(invoiceGlobalId(invoiceExternalId(contract.terms.contractId, input.periodStart)), input.psa, input.periodStart);
  return { invoiceNumber: posted.invoiceNumber, total: posted.total, tax: posted.tax };
}

/** Marks one page of the invoice's work billed in the ledger (a Map state iteration). */
export async function markPageBilled(input: BillingRunInput & { page: number }, deps: { ledger: BillingLedger }): Promise<{ marked: number }> {
  const ids = await deps.ledger.billedIdsPage(input.psa, input.periodStart, input.page);
  await deps.ledger.markBilled(input.psa, input.periodStart, ids);
  return { marked: ids.length };
}

/**
 * Records the posted invoice in the PSA (its work marked invoiced there, the ERP's number, posting date,
 * tax and total on it), closes the period in the ledger and announces `invoice.posted`.
 */
export async function recordInvoiceInPsa(
  input: BillingRunInput,
  deps: {
    ledger: BillingLedger;
    psa: PsaBillingPort;
    erpVendorOf: (erpInstance: string) => Vendor;
    publish: (event: InvoicePostedEvent) => Promise<void>;
    now: () => Date;
  },
) {
  const contract = (await deps.ledger.contractOf(input.psa))!;
  const invoice = (await deps.ledger.invoiceOf(input.psa, input.periodStart))!;
  if (!invoice.posted) throw new Error(`Invoice of ${input.psa.projectId} ${input.periodStart} is not posted yet`);
  // Before any write: an ERP instance missing from the configuration fails the step with nothing done.
  const erpVendor = deps.erpVendorOf(contract.erp.instance);
  const externalId = invoiceExternalId(contract.terms.contractId, input.periodStart);
  const { id } = await deps.psa.recordInvoice(input.psa.projectId, await psaInvoiceOf(deps.ledger, { ...invoice, posted: invoice.posted }, externalId));
  await deps.ledger.recordMarked(input.psa, input.periodStart);
  const event: InvoicePostedEvent = {
    id: deterministicUuid('invoice.posted', externalId),
    type: 'invoice.posted',
    schemaVersion: 1,
    // The ERP that posted it (NetSuite or Business Central): consumers tell the two apart by source.
    source: { vendor: erpVendor, instance: contract.erp.instance },
    occurredAt: deps.now().toISOString(),
    correlationId: input.correlationId,
    legalEntityId: contract.legalEntityId,
    payload: {
      invoiceGlobalId: invoiceGlobalId(externalId),
      invoice: { instance: contract.erp.instance, id: invoice.posted.id },
      invoiceNumber: invoice.posted.invoiceNumber,
      contractGlobalId: contract.terms.contractId,
      postingDate: invoice.posted.postingDate,
      subtotal: invoice.posted.subtotal,
      tax: invoice.posted.tax,
      total: invoice.posted.total,
    },
  };
  await deps.publish(event);
  return {
    psaInvoiceId: id,
    invoiceNumber: invoice.posted.invoiceNumber,
    leftovers: { unrated: invoice.draft.unrated, foreignCurrency: invoice.draft.foreignCurrency, writeDown: invoice.draft.writeDown },
  };
}

/** Which ERP instance's vendor an invoice came from, for configuration lookups. */
export function invoiceItemsOf(config: DeploymentConfig, erpInstance: string): InvoiceItems | undefined {
  return config.vendorInstances.find((v) => v.id === erpInstance)?.invoiceItems;
}
