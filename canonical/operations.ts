import type { DeploymentConfig } from './deployment-config';
import type { Workflow } from './workflows';

/**
 * The team that works a workflow's exceptions unless the configuration says otherwise: deals are sales
 * operations', delivery changes the PMO's, anything about money finance's.
 */
export const DEFAULT_OWNERS: Readonly<Record<Workflow, string>> = {
  'opportunity-to-project': 'sales-operations',
  'time-to-invoice': 'finance',
  'milestone-billing': 'finance',
  'invoice-payment-status': 'finance',
  'contract-change-order': 'pmo',
  'worker-rate-sync': 'pmo',
  reconciliation: 'finance',
};

/** Who owns an exception of a workflow, for a legal entity when it is known. */
export function ownerTeam(config: Pick<DeploymentConfig, 'operations'>, workflow: Workflow, legalEntityId?: string): string {
  const { owners } = config.operations;
  return (legalEntityId === undefined ? undefined : owners.legalEntities[legalEntityId]?.[workflow]) ?? owners.workflows[workflow] ?? DEFAULT_OWNERS[workflow];
}

/** Minutes an exception of each workflow may stay open before it pages, unless configured: by what it holds up. */
export const DEFAULT_OLDEST_OPEN_MINUTES: Readonly<Record<Workflow, number>> = {
  'opportunity-to-project': 60,
  'time-to-invoice': 240,
  'milestone-billing': 240,
  'invoice-payment-status': 1440,
  'contract-change-order': 480,
  'worker-rate-sync': 1440,
  reconciliation: 1440,
};

/** The alarm threshold of a workflow's oldest open exception, in minutes. */
export function oldestOpenAlarmMinutes(config: Pick<DeploymentConfig, 'operations'>, workflow: Workflow): number {
  return config.operations.alarms.oldestOpenExceptionMinutes[workflow] ?? DEFAULT_OLDEST_OPEN_MINUTES[workflow];
}
