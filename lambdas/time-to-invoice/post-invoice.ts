import { billingTask } from './runtime';

/** Task state PostInvoice of time-to-invoice.asl.json. */
export const handler = billingTask('PostInvoice', { idempotent: true });
