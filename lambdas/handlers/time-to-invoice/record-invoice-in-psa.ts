import { billingTask } from '../../wiring/time-to-invoice-tasks';

/** Task state RecordInvoiceInPsa of time-to-invoice.asl.json. */
export const handler = billingTask('RecordInvoiceInPsa', { idempotent: true, flow: 'billing' });
