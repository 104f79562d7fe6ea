import { billingTask } from '../../wiring/time-to-invoice-tasks';

/** Task state MarkPageBilled of time-to-invoice.asl.json. */
export const handler = billingTask('MarkPageBilled', { idempotent: false });
