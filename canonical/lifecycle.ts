import type { EntityType } from './entity-types';
import type { SystemRole } from './systems';

/**
 * How each entity is created, updated, merged and deactivated, as data the workflows consult
 * rather than rules scattered through them.
 */
export interface LifecycleRule {
  /** The role whose system creates the record; other systems receive it. */
  readonly createdBy: SystemRole;
  /**
   * Attribute sets that identify the same real-world record: a create whose values match an existing
   * record on any set is a duplicate and is linked, not created.
   */
  readonly duplicateKeys: readonly (readonly string[])[];
  /** Whether two records may be merged, and which survives. */
  readonly merge: { readonly allowed: false } | { readonly allowed: true; readonly survivor: 'record-of-system-of-creation' };
  /** Deactivation never deletes: records are marked inactive so history and references stay valid. */
  readonly deactivate: 'soft' | 'not-allowed';
}

/** The lifecycle rule of every canonical entity. */
export const LIFECYCLE_RULES: Readonly<Record<EntityType, LifecycleRule>> = {
  customer: {
    createdBy: 'crm',
    duplicateKeys: [['crmAccountId'], ['legalName', 'billingAddress.country'], ['website']],
    merge: { allowed: true, survivor: 'record-of-system-of-creation' },
    deactivate: 'soft',
  },
  contact: { createdBy: 'crm', duplicateKeys: [['email']], merge: { allowed: true, survivor: 'record-of-system-of-creation' }, deactivate: 'soft' },
  opportunity: { createdBy: 'crm', duplicateKeys: [['crmOpportunityId']], merge: { allowed: false }, deactivate: 'not-allowed' },
  contract: { createdBy: 'crm', duplicateKeys: [['opportunityGlobalId']], merge: { allowed: false }, deactivate: 'soft' },
  project: { createdBy: 'psa', duplicateKeys: [['contractGlobalId']], merge: { allowed: false }, deactivate: 'soft' },
  'project-task': { createdBy: 'psa', duplicateKeys: [['projectGlobalId', 'name']], merge: { allowed: false }, deactivate: 'soft' },
  resource: {
    createdBy: 'hcm',
    duplicateKeys: [['hcmWorkerId'], ['email']],
    merge: { allowed: true, survivor: 'record-of-system-of-creation' },
    deactivate: 'soft',
  },
  'rate-card': { createdBy: 'crm', duplicateKeys: [['contractGlobalId']], merge: { allowed: false }, deactivate: 'soft' },
  'time-entry': { createdBy: 'psa', duplicateKeys: [['psaEntryId']], merge: { allowed: false }, deactivate: 'not-allowed' },
  'expense-item': { createdBy: 'psa', duplicateKeys: [['psaExpenseId']], merge: { allowed: false }, deactivate: 'not-allowed' },
  milestone: { createdBy: 'psa', duplicateKeys: [['projectGlobalId', 'name']], merge: { allowed: false }, deactivate: 'soft' },
  invoice: { createdBy: 'erp', duplicateKeys: [['contractGlobalId', 'periodStart', 'periodEnd']], merge: { allowed: false }, deactivate: 'not-allowed' },
  'payment-status': { createdBy: 'erp', duplicateKeys: [['invoiceGlobalId']], merge: { allowed: false }, deactivate: 'not-allowed' },
  'legal-entity': { createdBy: 'erp', duplicateKeys: [['id']], merge: { allowed: false }, deactivate: 'soft' },
  'cost-centre': { createdBy: 'hcm', duplicateKeys: [['code']], merge: { allowed: false }, deactivate: 'soft' },
};
