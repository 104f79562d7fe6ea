import { billingTask } from '../../wiring/time-to-invoice-tasks';

/** Task state DraftInvoice of time-to-invoice.asl.json. */
export const handler = billingTask('DraftInvoice', { idempotent: false });
