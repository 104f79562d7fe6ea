import { billingTask } from './runtime';

/** Task state DraftInvoice of time-to-invoice.asl.json. */
export const handler = billingTask('DraftInvoice', { idempotent: false });
