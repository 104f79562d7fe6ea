import { z } from 'zod';

/**
 * Every entity of the canonical model (docs/canonical-model.md). The names are the keys used by the ownership
 * policy, the cross-reference registry and the event catalogue.
 */
export const EntityType = z.enum([
  'customer',
  'contact',
  'opportunity',
  'contract',
  'project',
  'project-task',
  'resource',
  'rate-card',
  'time-entry',
  'expense-item',
  'milestone',
  'invoice',
  'payment-status',
  'legal-entity',
  'cost-centre',
]);
/** A canonical entity type such as `customer`. */
export type EntityType = z.infer<typeof EntityType>;
