import { billingTask } from './runtime';

/** Task state RecordBillingException of time-to-invoice.asl.json. */
export const handler = billingTask('RecordBillingException', { idempotent: false });
