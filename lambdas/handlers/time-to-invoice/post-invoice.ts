import { billingTask } from '../../wiring/time-to-invoice-tasks';

/** Task state PostInvoice of time-to-invoice.asl.json. */
export const handler = billingTask('PostInvoice', { idempotent: true, flow: 'billing' });
