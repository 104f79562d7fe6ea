import { billingTask } from '../../wiring/time-to-invoice-tasks';

/** Task state RecordBillingException of time-to-invoice.asl.json. */
export const handler = billingTask('RecordBillingException', { idempotent: false });
