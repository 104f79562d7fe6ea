import type { EntityType } from '../entity-types';
import { roleOf, type SystemRole, type Vendor } from '../systems';
import { covers, type OwnershipPolicy } from './policy';

/** A change one system proposes to one record. */
export interface ProposedChange {
  readonly entityType: EntityType;
  readonly globalId: string;
  readonly source: { readonly vendor: Vendor; readonly instance: string };
  /** Changed attributes, nested or already flattened to dotted paths. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** An attribute that was not applied, and why, in words a person can act on. */
export interface RefusedAttribute {
  readonly attribute: string;
  /** The owning role, or undefined for an attribute the policy does not know. */
  readonly owner: SystemRole | undefined;
  readonly reason: string;
}

/** What may be applied and what is refused. */
export interface ChangeDecision {
  readonly outcome: 'applied' | 'partially-applied' | 'refused' | 'nothing-to-apply';
  readonly apply: Readonly<Record<string, unknown>>;
  readonly refused: readonly RefusedAttribute[];
}

/** Flattens nested objects to dotted paths; arrays and money-like leaves stay whole values. */
export function flatten(attributes: Readonly<Record<string, unknown>>, prefix = ''): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const isLeafObject = value !== null && typeof value === 'object' && !Array.isArray(value) && !('amountMinor' in value);
    if (isLeafObject && Object.keys(value).length > 0) Object.assign(flat, flatten(value as Record<string, unknown>, path));
    else flat[path] = value;
  }
  return flat;
}

/** The owner of a path: the most specific attribute entry covering it, else the entity's owner. */
export function ownerOf(policy: OwnershipPolicy, entityType: EntityType, path: string): SystemRole | undefined {
  const entity = policy[entityType];
  if (entity === undefined) throw new Error(`The ownership policy has no entry for ${entityType}`);
  if (!entity.known.some((k) => covers(k, path))) return undefined;
  const specific = Object.keys(entity.attributes)
    .filter((attribute) => covers(attribute, path))
    .sort((a, b) => b.length - a.length)[0];
  return specific === undefined ? entity.owner : entity.attributes[specific];
}

/**
 * Decides a proposed change: an attribute is applied only if the proposing system's role owns it.
 * This one rule is what stops circular updates: the ERP echoing a CRM-owned address back can never
 * overwrite it. Nothing is dropped silently: every attribute lands in `apply` or in `refused`.
 */
export function decideChange(policy: OwnershipPolicy, change: ProposedChange): ChangeDecision {
  const role = roleOf(change.source.vendor);
  const apply: Record<string, unknown> = {};
  const refused: RefusedAttribute[] = [];
  const from = `${role} (${change.source.vendor}/${change.source.instance})`;
  for (const [attribute, value] of Object.entries(flatten(change.attributes))) {
    const owner = ownerOf(policy, change.entityType, attribute);
    if (owner === undefined) {
      refused.push({
        attribute,
        owner,
        reason: `${attribute} is not a known attribute of ${change.entityType}; the change from ${from} was not applied. Map it or add it to the ownership policy.`,
      });
    } else if (owner !== role) {
      refused.push({
        attribute,
        owner,
        reason: `${attribute} of ${change.entityType} is owned by ${owner}; the change from ${from} was not applied. Change it in the ${owner} instead.`,
      });
    } else {
      apply[attribute] = value;
    }
  }
  const applied = Object.keys(apply).length;
  const outcome =
    applied === 0 && refused.length === 0 ? 'nothing-to-apply' : refused.length === 0 ? 'applied' : applied === 0 ? 'refused' : 'partially-applied';
  return { outcome, apply, refused };
}
