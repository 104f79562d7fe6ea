import { billingTask } from './runtime';

/** Task state RecordInvoiceInPsa of time-to-invoice.asl.json. */
export const handler = billingTask('RecordInvoiceInPsa', { idempotent: true });
