import { deterministicUuid } from './deterministic-id';

/**
 * The keys billing derives, shared by every step, poll and adapter that must name the same milestone
 * or invoice: the same input always gives the same key, so a retry or replay finds what an earlier
 * attempt made.
 */

/** The key of a milestone in billing: its PSA instance and id, unique across projects and stable across completions. */
export function milestoneKey(psaInstance: string, psaMilestoneId: string): string {
  return `milestone:${psaInstance}:${psaMilestoneId}`;
}

/** The invoice's external id: one per contract and period, so no retry or re-run can post a second. */
export function invoiceExternalId(contractId: string, periodStart: string): string {
  return `${contractId}:${periodStart}`;
}

/** An invoice's global id, derived from its external id: the same in every step, poll and replay. */
export function invoiceGlobalId(externalId: string): string {
  return deterministicUuid('invoice', externalId);
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
