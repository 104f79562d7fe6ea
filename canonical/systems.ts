import { z } from 'zod';

/**
 * The roles a system plays for a firm. Ownership is expressed in roles, not vendors, so swapping
 * HubSpot for Salesforce changes no policy.
 */
export const SystemRole = z.enum(['crm', 'psa', 'erp', 'hcm']);
/** A system role: crm, psa, erp or hcm. */
export type SystemRole = z.infer<typeof SystemRole>;

/** Every vendor we have (or plan) an adapter for, with the role it plays. */
export const VENDOR_ROLES = {
  salesforce: 'crm',
  hubspot: 'crm',
  kantata: 'psa',
  certinia: 'psa',
  netsuite: 'erp',
  'business-central': 'erp',
  workday: 'hcm',
} as const satisfies Record<string, SystemRole>;

/** A vendor name such as `netsuite`. */
export const Vendor = z.enum(Object.keys(VENDOR_ROLES) as [keyof typeof VENDOR_ROLES, ...(keyof typeof VENDOR_ROLES)[]]);
/** A vendor name such as `netsuite`. */
export type Vendor = z.infer<typeof Vendor>;

/** The role a vendor plays. */
export function roleOf(vendor: Vendor): SystemRole {
  return VENDOR_ROLES[vendor];
}

/**
 * An instance id names one tenant of a vendor in the deployment configuration
 * (`netsuite-us`, `hubspot-main`): one firm may run two NetSuite accounts during a migration.
 */
export const InstanceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'instance ids are lower-case letters, digits and dashes, up to 63 characters');
/** An instance id such as `netsuite-us`. */
export type InstanceId = z.infer<typeof InstanceId>;

/** Where a record or a change comes from: one vendor instance. */
export const SystemRef = z.object({
  vendor: Vendor,
  instance: InstanceId,
});
/** Where a record or a change comes from: one vendor instance. */
export type SystemRef = z.infer<typeof SystemRef>;
