import { billingTask } from './runtime';

/** Task state MarkPageBilled of time-to-invoice.asl.json. */
export const handler = billingTask('MarkPageBilled', { idempotent: false });
