import { z } from 'zod';
import { EntityType } from '../entity-types';
import { SystemRole } from '../systems';

/**
 * Ownership as data: for each entity, the role whose system is the system of record, and per
 * attribute path the exceptions. A path owns its sub-paths (`billingAddress` covers
 * `billingAddress.street`) unless a more specific path says otherwise.
 */
export const EntityOwnership = z.strictObject({
  /** Owner of any attribute without a more specific entry. */
  owner: SystemRole,
  /** Attribute path → owner, for attributes owned by another role than the entity's. */
  attributes: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'an attribute path such as billingAddress.street'), SystemRole)
    .default({}),
  /**
   * Attributes the policy knows. A change to any other attribute is refused as unknown, so a typo
   * or a new vendor field is reported instead of silently applied.
   */
  known: z.array(z.string().min(1)).min(1),
});
/** Ownership of one entity. */
export type EntityOwnership = z.infer<typeof EntityOwnership>;

/** The ownership policy of a deployment: every entity type has an entry. */
export const OwnershipPolicy = z.record(EntityType, EntityOwnership);
/** The ownership policy. */
export type OwnershipPolicy = z.infer<typeof OwnershipPolicy>;

/** Deployment overrides: per entity, a new default owner and/or attribute owners. */
export const OwnershipOverrides = z.partialRecord(
  EntityType,
  z.strictObject({ owner: SystemRole.optional(), attributes: z.record(z.string().min(1), SystemRole).default({}) }),
);
/** Deployment overrides of the ownership policy. */
export type OwnershipOverrides = z.input<typeof OwnershipOverrides>;

/** True when `path` is `attribute` or below it. */
export function covers(attribute: string, path: string): boolean {
  return path === attribute || path.startsWith(`${attribute}.`);
}

/**
 * Applies deployment overrides to a policy.
 * @throws Error naming the entity and attribute of an override the policy does not know.
 */
export function withOverrides(policy: OwnershipPolicy, overrides: OwnershipOverrides): OwnershipPolicy {
  const parsed = OwnershipOverrides.safeParse(overrides);
  if (!parsed.success) throw new Error(`Invalid ownership overrides: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const result: OwnershipPolicy = { ...policy };
  for (const [entity, override] of Object.entries(parsed.data) as [EntityType, { owner?: SystemRole; attributes: Record<string, SystemRole> }][]) {
    const base = policy[entity];
    if (base === undefined) throw new Error(`Ownership override for ${entity}, which the policy does not cover`);
    for (const attribute of Object.keys(override.attributes)) {
      if (!base.known.some((k) => covers(attribute, k) || covers(k, attribute))) {
        throw new Error(`Ownership override names ${entity}.${attribute}, which is not a known attribute of ${entity} (${base.known.join(', ')})`);
      }
    }
    result[entity] = { ...base, owner: override.owner ?? base.owner, attributes: { ...base.attributes, ...override.attributes } };
  }
  return result;
}
