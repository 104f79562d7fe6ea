import { z } from 'zod';
import { GlobalId, LifecycleStatus } from '../primitives';

/** Fields every canonical entity carries: its global id, schema version and lifecycle. */
export const EntityBase = z.object({
  globalId: GlobalId,
  schemaVersion: z.literal(1),
  status: LifecycleStatus,
  /** Set when status is `merged`: the record that survived. */
  mergedInto: GlobalId.optional(),
});

/** Refines an entity so `mergedInto` is present exactly when it is merged. */
export function mergedIntoRule(value: { status: string; mergedInto?: string | undefined }, ctx: z.RefinementCtx): void {
  if ((value.status === 'merged') !== (value.mergedInto !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['mergedInto'], message: 'mergedInto is set exactly when status is merged' });
  }
}
