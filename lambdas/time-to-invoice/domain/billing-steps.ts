import { CURRENCY_EXPONENTS, type DeploymentConfig, type InvoicePostedEvent, type Money, type PaymentReceivedEvent, majorUnits, routeFlow } from '../../../canonical';
import { deterministicUuid } from '../../shared/deterministic-id';
import type { BillingLedger, CrmBillingPort, ErpInvoiceStatus, InvoicingPort, PsaBillingPort, PsaProjectRef } from '../ports';
import { type DraftLine, draftInvoice } from './billing-engine';

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

/** No contract was recorded for the project: it was not made by opportunity to project, or not yet. */
export class ContractUnknownError extends Error {
  override readonly name = 'ContractUnknown';
}

/** The ERP instance has no invoice items configured for a kind of line. */
export class InvoiceItemsNotConfiguredError extends Error {
  override readonly name = 'InvoiceItemsNotConfigured';
}

/** What drafting found. */
export type DraftOutcome =
  | { readonly status: 'nothing-to-bill' | 'already-invoiced'; readonly pages: readonly number[] }
  | { readonly status: 'switched-off'; readonly pages: readonly number[]; readonly reason: string }
  | { readonly status: 'ready'; readonly pages: readonly number[]; readonly total: Money; readonly lines: number };

/** Drafts the period's invoice once; a retried or re-run execution finds the same draft. */
export async function draftPeriodInvoice(input: BillingRunInput, deps: { ledger: BillingLedger; config: DeploymentConfig }): Promise<DraftOutcome> {
  const contract = await deps.ledger.contractOf(input.psa);
  if (!contract) throw new ContractUnknownError(`No contract is recorded for ${input.psa.instance} project ${input.psa.projectId}; it bills once opportunity to project has activated it`);
  const route = routeFlow(deps.config, { flow: 'time-to-invoice', legalEntityId: contract.legalEntityId, businessUnit: contract.businessUnit });
  if (!route.enabled) return { status: 'switched-off', pages: [], reason: route.detail };
  const existing = await deps.ledger.invoiceOf(input.psa, input.periodStart);
  // Invoiced and marked: work approved since goes on the next period's invoice, never onto this one again.
  if (existing?.status === 'marked') return { status: 'already-invoiced', pages: [] };
  const saved =
    existing ??
    (await (async () => {
      const work = await deps.ledger.workOf(input.psa);
      // The contract's milestones, each with its completion as the PSA reported it, if it did.
      const terms = {
        ...contract.terms,
        milestones: contract.terms.milestones.map((m) => {
          const completedOn = work.milestonesCompleted.get(m.id);
          return completedOn ? { ...m, completedOn } : m;
        }),
      };
      const draft = draftInvoice(terms, { start: input.periodStart, end: input.periodEnd }, { time: work.time, expenses: work.expenses }, work.history);
      return draft.lines.length === 0 ? undefined : deps.ledger.saveDraft(input.psa, draft, BILLED_IDS_PAGE_SIZE);
    })());
  if (!saved) return { status: 'nothing-to-bill', pages: [] };
  return { status: 'ready', pages: Array.from({ length: saved.pages }, (_, i) => i), total: saved.draft.total, lines: saved.draft.lines.length };
}

/** Which ERP item each kind of invoice line posts to. */
export type InvoiceItems = Readonly<Record<DraftLine['kind'], string>>;

/** Posts the draft to the ERP under an external id derived from contract and period; reads back number and tax. */
export async function postPeriodInvoice(input: BillingRunInput, deps: { ledger: BillingLedger; erp: InvoicingPort; itemsFor: (erpInstance: string) => InvoiceItems | undefined }) {
  const contract = (await deps.ledger.contractOf(input.psa))!;
  const invoice = await deps.ledger.invoiceOf(input.psa, input.periodStart);
  if (!invoice) throw new Error(`No draft for ${input.psa.projectId} ${input.periodStart}: PostInvoice ran before DraftInvoice`);
  if (invoice.posted) return { invoiceNumber: invoice.posted.invoiceNumber, total: invoice.posted.total, tax: invoice.posted.tax };
  const items = deps.itemsFor(contract.erp.instance);
  if (!items) throw new InvoiceItemsNotConfiguredError(`ERP instance ${contract.erp.instance} has no invoiceItems (time, expense, milestone, retainer) in the deployment configuration`);
  const posted = await deps.erp.postInvoice({
    externalId: invoiceExternalId(contract.terms.contractId, input.periodStart),
    customerId: contract.erp.customerId,
    currency: contract.terms.currency,
    tranDate: input.periodEnd,
    lines: invoice.draft.lines.map((l) => ({ itemId: items[l.kind], description: l.description, ...(l.quantity ? { quantity: l.quantity } : {}), ...(l.unitPrice ? { rate: l.unitPrice } : {}), amount: l.amount })),
  });
  await deps.ledger.recordPosted(input.psa, input.periodStart, { ...posted, postingDate: input.periodEnd });
  await deps.ledger.recordInvoiceKey(invoiceGlobalId(invoiceExternalId(contract.terms.contractId, input.periodStart)), input.psa, input.periodStart);
  return { invoiceNumber: posted.invoiceNumber, total: posted.total, tax: posted.tax };
}

/** The invoice's external id: one per contract and period, so no retry or re-run can post a second. */
export function invoiceExternalId(contractId: string, periodStart: string): string {
  return `${contractId}:${periodStart}`;
}

/** An invoice's global id, derived from its external id: the same in every step, poll and replay. */
export function invoiceGlobalId(externalId: string): string {
  return deterministicUuid('invoice', externalId);
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
export async function recordInvoiceInPsa(input: BillingRunInput, deps: { ledger: BillingLedger; psa: PsaBillingPort; publish: (event: InvoicePostedEvent) => Promise<void>; now: () => Date }) {
  const contract = (await deps.ledger.contractOf(input.psa))!;
  const invoice = (await deps.ledger.invoiceOf(input.psa, input.periodStart))!;
  if (!invoice.posted) throw new Error(`Invoice of ${input.psa.projectId} ${input.periodStart} is not posted yet`);
  const work = await deps.ledger.workOf(input.psa);
  const billed = new Set<string>();
  for (let page = 0; page < invoice.pages; page++) for (const id of await deps.ledger.billedIdsPage(input.psa, input.periodStart, page)) billed.add(id);
  const externalId = invoiceExternalId(contract.terms.contractId, input.periodStart);
  const { id } = await deps.psa.recordInvoice(input.psa.projectId, {
    externalId,
    invoiceNumber: invoice.posted.invoiceNumber,
    postingDate: invoice.posted.postingDate,
    tax: invoice.posted.tax,
    total: invoice.posted.total,
    timeEntryIds: work.time.filter((t) => billed.has(t.id)).map((t) => t.id),
    expenseIds: work.expenses.filter((e) => billed.has(e.id)).map((e) => e.id),
  });
  await deps.ledger.recordMarked(input.psa, input.periodStart);
  const event: InvoicePostedEvent = {
    id: deterministicUuid('invoice.posted', externalId),
    type: 'invoice.posted',
    schemaVersion: 1,
    source: { vendor: 'netsuite', instance: contract.erp.instance },
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
  return { psaInvoiceId: id, invoiceNumber: invoice.posted.invoiceNumber, leftovers: { unrated: invoice.draft.unrated, foreignCurrency: invoice.draft.foreignCurrency, writeDown: invoice.draft.writeDown } };
}

/** Which ERP instance's vendor an invoice came from, for configuration lookups. */
export function invoiceItemsOf(config: DeploymentConfig, erpInstance: string): InvoiceItems | undefined {
  return config.vendorInstances.find((v) => v.id === erpInstance)?.invoiceItems;
}

/**
 * Writes a posted invoice's billing health to the customer's account in the CRM the deal came from:
 * status, number, posting date and total. Writing the same invoice twice writes the same values.
 */
export async function reportInvoiceToCrm(event: InvoicePostedEvent, deps: { ledger: BillingLedger; crmBillingFor: (crmInstance: string) => CrmBillingPort }): Promise<{ accountId: string } | { skipped: string }> {
  const contract = await deps.ledger.contractById(event.payload.contractGlobalId);
  if (!contract) throw new ContractUnknownError(`invoice ${event.payload.invoiceNumber} names contract ${event.payload.contractGlobalId}, which the billing ledger does not know`);
  if (!contract.crm.accountId) return { skipped: `the contract of ${contract.name} has no CRM account id (recorded before accounts were kept)` };
  const total = event.payload.total;
  await deps.crmBillingFor(contract.crm.instance).writeBillingHealth(contract.crm.accountId, {
    status: 'invoiced',
    lastInvoiceNumber: event.payload.invoiceNumber,
    lastInvoiceDate: event.payload.postingDate,
    lastInvoiceTotal: `${majorUnits(total).toFixed(CURRENCY_EXPONENTS[total.currency])} ${total.currency}`,
  });
  return { accountId: contract.crm.accountId };
}

/** Our invoices' external ids: `<contract id>:<period start>`. Invoices others made in the ERP are not ours to report. */
const OUR_INVOICE = /^[^:]+:\d{4}-\d{2}-\d{2}$/;
/** Our invoices' document numbers, where the ERP's field is too short for the external id. */
const OUR_DOCUMENT_NUMBER = /^PS([0-9A-F]{8})([0-9A-F]{4})([0-9A-F]{4})([0-9A-F]{4})([0-9A-F]{12})$/;

/**
 * An invoice's reference for an ERP whose field cannot hold the external id (Business Central's
 * `externalDocumentNumber` is a Code[35], and BC upper-cases codes): `PS` and the 32 hex digits of the
 * invoice's global id, 34 characters, as unique as the external id it is derived from.
 */
export function invoiceDocumentNumber(externalId: string): string {
  return `PS${invoiceGlobalId(externalId).replace(/-/g, '').toUpperCase()}`;
}

/** The global id of the invoice an ERP reference names (an external id or a document number), or undefined when it is not ours. */
export function ourInvoiceGlobalId(reference: string | undefined): string | undefined {
  if (reference === undefined) return undefined;
  if (OUR_INVOICE.test(reference)) return invoiceGlobalId(reference);
  const parts = OUR_DOCUMENT_NUMBER.exec(reference);
  return parts ? parts.slice(1).join('-').toLowerCase() : undefined;
}

/**
 * The payment events of ERP invoices (polled, or re-read after a notification): one per invoice of
 * ours with a payment, its id fixed by the amount still due, so a re-read of the same state is the same
 * event and a new payment a new one.
 */
export function paymentEvents(erp: { vendor: 'netsuite' | 'business-central'; instance: string }, invoices: readonly ErpInvoiceStatus[], correlationId: string): PaymentReceivedEvent[] {
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
export async function recordPayment(event: PaymentReceivedEvent, deps: { ledger: BillingLedger; psaBillingFor: (psaInstance: string) => PsaBillingPort; crmBillingFor: (crmInstance: string) => CrmBillingPort }): Promise<{ state: string } | { skipped: string }> {
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
      lastInvoiceTotal: `${majorUnits(total).toFixed(CURRENCY_EXPONENTS[total.currency])} ${total.currency}`,
    });
  }
  return { state: event.payload.state };
}
