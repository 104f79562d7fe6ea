import type { DeploymentConfig, FlowSwitch, VendorInstanceConfig } from './deployment-config';
import { specificity } from './deployment-config';
import type { Workflow } from './workflows';

/** What a flow needs to know about one request: which flow, for which legal entity and business unit. */
export interface FlowRequest {
  readonly flow: Workflow;
  readonly legalEntityId: string;
  readonly businessUnit: string;
}

/** The vendor instances that serve a routed request, one per role. */
export interface RoutedInstances {
  readonly crm: VendorInstanceConfig;
  readonly psa: VendorInstanceConfig;
  readonly erp: VendorInstanceConfig;
  readonly hcm?: VendorInstanceConfig;
}

/** The answer: either where the flow runs and with which instances, or why it does not run. */
export type FlowRoute =
  | { readonly enabled: true; readonly region: string; readonly instances: RoutedInstances; readonly decidedBy: FlowSwitch }
  | {
      readonly enabled: false;
      readonly reason: 'unknown-legal-entity' | 'unknown-business-unit' | 'switched-off' | 'no-switch';
      readonly detail: string;
      readonly decidedBy?: FlowSwitch;
    };

/**
 * Answers, for every flow in the same way: is this flow on for this legal entity and business unit,
 * and which region and vendor instances serve it. Flows are off unless a switch turns them on; the
 * most specific matching switch decides (see {@link FlowSwitch}).
 */
export function routeFlow(config: DeploymentConfig, request: FlowRequest): FlowRoute {
  const entity = config.legalEntities.find((e) => e.id === request.legalEntityId);
  if (entity === undefined) {
    return { enabled: false, reason: 'unknown-legal-entity', detail: `legal entity ${request.legalEntityId} is not configured` };
  }
  if (!entity.businessUnits.includes(request.businessUnit)) {
    return {
      enabled: false,
      reason: 'unknown-business-unit',
      detail: `business unit ${request.businessUnit} is not one of ${entity.id}'s (${entity.businessUnits.join(', ')})`,
    };
  }
  const matching = config.flowSwitches.filter(
    (s) =>
      s.flow === request.flow &&
      (s.region === undefined || s.region === entity.region) &&
      (s.legalEntity === undefined || s.legalEntity === entity.id) &&
      (s.businessUnit === undefined || s.businessUnit === request.businessUnit),
  );
  // The configuration refuses equal-specificity conflicts, so the first most specific switch is the only answer.
  const decidedBy = matching.reduce<FlowSwitch | undefined>((best, s) => (best === undefined || specificity(s) > specificity(best) ? s : best), undefined);
  const where = `${request.flow} for ${entity.id}/${request.businessUnit} in ${entity.region}`;
  if (decidedBy === undefined) return { enabled: false, reason: 'no-switch', detail: `no flow switch turns on ${where}` };
  if (!decidedBy.on) return { enabled: false, reason: 'switched-off', detail: `${where} is switched off`, decidedBy };

  const instance = (id: string): VendorInstanceConfig => {
    const found = config.vendorInstances.find((v) => v.id === id);
    // parseDeploymentConfig has checked every reference; reaching this means an unvalidated config.
    if (found === undefined) throw new Error(`vendor instance ${id} named by ${entity.id} is not configured`);
    return found;
  };
  const { crm, psa, erp, hcm } = entity.instances;
  return {
    enabled: true,
    region: entity.region,
    instances: { crm: instance(crm), psa: instance(psa), erp: instance(erp), ...(hcm === undefined ? {} : { hcm: instance(hcm) }) },
    decidedBy,
  };
}

/** The legal entities a regional stack serves. */
export function legalEntitiesInRegion(config: DeploymentConfig, region: string): DeploymentConfig['legalEntities'] {
  return config.legalEntities.filter((e) => e.region === region);
}
