import { z } from 'zod';

/** The workflows of the product (docs/architecture.md), one state machine each where they have steps. Flow switches and routing use these ids. */
export const Workflow = z.enum([
  'opportunity-to-project',
  'time-to-invoice',
  'milestone-billing',
  'invoice-payment-status',
  'contract-change-order',
  'worker-rate-sync',
  'reconciliation',
]);
/** A workflow id such as `opportunity-to-project`. */
export type Workflow = z.infer<typeof Workflow>;
