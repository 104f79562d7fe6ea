import type { ContractRecord } from '../../lambdas/ports/billing-ledger';
import type { PsaProjectRef } from '../../lambdas/ports/psa';

/**
 * A contract as opportunity to project records it for a PSA project: time and materials in USD, one
 * Consultant rate, no markup, no milestones. `overrides` change what a test is about.
 */
export function contractFixture(
  psa: PsaProjectRef,
  overrides: { hourlyRate?: string; legalEntityId?: string; crm?: ContractRecord['crm'] } = {},
): ContractRecord {
  return {
    psa,
    erp: { instance: 'netsuite-us', customerId: '1000', projectId: '1001' },
    crm: overrides.crm ?? { instance: 'hubspot-main', opportunityId: 'd1' },
    projectGlobalId: `g-${psa.projectId}`,
    legalEntityId: overrides.legalEntityId ?? 'acme-us',
    businessUnit: 'delivery',
    name: 'Rollout',
    terms: {
      contractId: `g-${psa.projectId}`,
      currency: 'USD',
      model: 'time-and-materials',
      rateCard: [{ role: 'Consultant', hourlyRate: overrides.hourlyRate ?? '150', effectiveFrom: '2026-01-01' }],
      expenseMarkupPercent: '0',
      milestones: [],
    },
  };
}
