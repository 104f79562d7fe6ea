import type { OpportunityWonEvent, ProjectActivatedEvent, SystemRef, Vendor } from '../../canonical';
import { milestoneKey } from '../common/billing-keys';
import type { CrossReferenceRegistry } from '../common/cross-reference/registry';
import { CrossReferenceConflictError } from '../common/cross-reference/registry';
import { deterministicUuid } from '../common/deterministic-id';
import type { ContractRecord } from '../ports/billing-ledger';
import type { CrmPort, CrmWriteBack } from '../ports/crm';
import type { ErpPort } from '../ports/erp';
import type { PsaPort, PsaProjectDraft } from '../ports/psa';
import type { ValidOpportunity } from './validate-opportunity';

/**
 * The steps of opportunity to project, as plain functions over the ports and the registry. Each is
 * safe to run again after a crash or a retry: ERP writes are upserts by external id, the PSA create
 * is reserved in the registry before the call and looked up by external reference on recovery, and
 * every id is derived deterministically from the deal.
 */

/** What every step receives from the state machine. */
export interface StepContext {
  readonly execution: string;
  readonly event: OpportunityWonEvent;
  readonly validation: ValidOpportunity;
}

/** The vendor of a configured instance. */
export type VendorOf = (instanceId: string) => Vendor;

function system(instance: string, vendorOf: VendorOf): SystemRef {
  return { vendor: vendorOf(instance), instance };
}

/** Finds or creates the ERP customer for the deal's account; the account's global id is claimed first. */
export async function findOrCreateErpCustomer(
  ctx: StepContext,
  deps: { erp: ErpPort; registry: CrossReferenceRegistry; vendorOf: VendorOf },
): Promise<{ customerGlobalId: string; erpCustomerId: string }> {
  const { event, validation } = ctx;
  const account = event.payload.account;
  // The CRM account decides which customer this is: concurrent deals of one account share it.
  const claim = await deps.registry.claimNativeRecord({
    entityType: 'customer',
    system: event.source,
    nativeId: account.crmId,
    globalId: deterministicUuid('customer', `${event.source.vendor}:${event.source.instance}:${account.crmId}`),
  });
  const customerGlobalId = claim.globalId;
  const { id } = await deps.erp.upsertCustomer({
    externalId: customerGlobalId,
    name: account.name,
    ...(account.billingAddress ? { billingAddress: account.billingAddress } : {}),
    currency: validation.currency,
    paymentTermsCode: validation.billingTerms.paymentTermsCode,
    taxProfileCode: validation.taxProfileCode,
    legalEntityId: validation.legalEntityId,
  });
  const erpClaim = await deps.registry.claimNativeRecord({
    entityType: 'customer',
    system: system(validation.instances.erp, deps.vendorOf),
    nativeId: id,
    globalId: customerGlobalId,
  });
  if (erpClaim.outcome === 'already-claimed') {
    throw new CrossReferenceConflictError(`ERP customer ${id} already belongs to ${erpClaim.globalId}; merge the two customers before re-running`);
  }
  return { customerGlobalId, erpCustomerId: id };
}

/** Creates the PSA project shell once: reserved before the call, found by external reference after a crash. */
export async function createPsaProject(
  ctx: StepContext,
  deps: { psa: PsaPort; registry: CrossReferenceRegistry; vendorOf: VendorOf },
): Promise<{ psaProjectId: string; recovered: boolean; milestoneIds: Readonly<Record<string, string>> }> {
  const { event, validation, execution } = ctx;
  const target = system(validation.instances.psa, deps.vendorOf);
  const p = event.payload;
  const draft: PsaProjectDraft = {
    externalReference: validation.projectGlobalId,
    name: p.opportunity.name,
    customerName: p.account.name,
    currency: validation.currency,
    ...(p.contract.startDate ? { startDate: p.contract.startDate } : {}),
    ...(p.contract.endDate ? { endDate: p.contract.endDate } : {}),
    billingModel: validation.billingTerms.model,
    ...(p.opportunity.amount ? { budget: p.opportunity.amount } : {}),
    tasks: p.contract.tasks,
    milestones: p.contract.milestones,
    rateCard: p.contract.rateCard,
  };
  const reservation = await deps.registry.reserveCreate({ entityType: 'project', globalId: validation.projectGlobalId, target, executionId: execution });
  if (reservation.outcome === 'existing') {
    if (reservation.link.state === 'completed' && reservation.link.nativeId) {
      // Done before: completing a complete shell writes nothing and names its milestones.
      const { milestoneIds } = await deps.psa.completeProject(reservation.link.nativeId, draft);
      return { psaProjectId: reservation.link.nativeId, recovered: true, milestoneIds };
    }
    // Reserved earlier but not completed: the POST may or may not have happened. Look before creating,
    // and finish a shell the crash cut short (tasks, milestones, rate card).
    const found = await deps.psa.findProjectByExternalReference(validation.projectGlobalId);
    if (found) {
      const { milestoneIds } = await deps.psa.completeProject(found.id, draft);
      await deps.registry.completeCreate({ entityType: 'project', globalId: validation.projectGlobalId, target, nativeId: found.id });
      return { psaProjectId: found.id, recovered: true, milestoneIds };
    }
  }
  const created = await deps.psa.createProject(draft);
  await deps.registry.completeCreate({ entityType: 'project', globalId: validation.projectGlobalId, target, nativeId: created.id });
  return { psaProjectId: created.id, recovered: false, milestoneIds: created.milestoneIds };
}

/** Upserts the ERP project under the customer, keyed by the project's global id. */
export async function createErpProject(
  ctx: StepContext,
  erpCustomerId: string,
  deps: { erp: ErpPort; registry: CrossReferenceRegistry; vendorOf: VendorOf },
): Promise<{ erpProjectId: string }> {
  const { event, validation } = ctx;
  const { id } = await deps.erp.upsertProject({
    externalId: validation.projectGlobalId,
    name: event.payload.opportunity.name,
    customerId: erpCustomerId,
    currency: validation.currency,
    ...(event.payload.contract.startDate ? { startDate: event.payload.contract.startDate } : {}),
    ...(event.payload.contract.endDate ? { endDate: event.payload.contract.endDate } : {}),
  });
  const claim = await deps.registry.claimNativeRecord({
    entityType: 'project',
    system: system(validation.instances.erp, deps.vendorOf),
    nativeId: id,
    globalId: validation.projectGlobalId,
  });
  if (claim.outcome === 'already-claimed') throw new CrossReferenceConflictError(`ERP project ${id} already belongs to ${claim.globalId}`);
  return { erpProjectId: id };
}

/** Writes the ids and the sync status back to the CRM deal. */
export async function writeBackToCrm(
  ctx: StepContext,
  ids: { erpCustomerId: string; erpProjectId: string; psaProjectId: string },
  deps: { crm: CrmPort },
): Promise<CrmWriteBack> {
  const fields: CrmWriteBack = { ...ids, syncStatus: 'synced', syncMessage: `Synced by ${ctx.execution}` };
  await deps.crm.writeBack(ctx.event.payload.opportunity.crmId, fields);
  return fields;
}

/** The `project.activated` event; its id is derived from the deal revision so a retry publishes the same event. */
export function projectActivated(
  ctx: StepContext,
  ids: { customerGlobalId: string; erpCustomerId: string; erpProjectId: string; psaProjectId: string },
  occurredAt: Date,
): ProjectActivatedEvent {
  const { event, validation } = ctx;
  return {
    id: deterministicUuid('project.activated', ctx.execution),
    type: 'project.activated',
    schemaVersion: 1,
    source: event.source,
    occurredAt: occurredAt.toISOString(),
    correlationId: event.correlationId,
    legalEntityId: validation.legalEntityId,
    payload: {
      projectGlobalId: validation.projectGlobalId,
      customerGlobalId: ids.customerGlobalId,
      opportunity: { instance: event.source.instance, id: event.payload.opportunity.crmId },
      erp: { instance: validation.instances.erp, customerId: ids.erpCustomerId, projectId: ids.erpProjectId },
      psa: { instance: validation.instances.psa, projectId: ids.psaProjectId },
      legalEntityId: validation.legalEntityId,
      businessUnit: validation.businessUnit,
    },
  };
}

/**
 * The contract the new PSA project bills under (time and expenses to invoice reads it from the billing
 * ledger): the deal's terms, rate card and milestones, and the ids an invoice needs.
 */
export function contractRecord(
  ctx: StepContext,
  ids: { erpCustomerId: string; erpProjectId: string; psaProjectId: string; milestoneIds?: Readonly<Record<string, string>> },
): ContractRecord {
  const { event, validation } = ctx;
  const contract = event.payload.contract;
  return {
    psa: { instance: validation.instances.psa, projectId: ids.psaProjectId },
    erp: { instance: validation.instances.erp, customerId: ids.erpCustomerId, projectId: ids.erpProjectId },
    crm: { instance: event.source.instance, opportunityId: event.payload.opportunity.crmId, accountId: event.payload.account.crmId },
    projectGlobalId: validation.projectGlobalId,
    legalEntityId: validation.legalEntityId,
    businessUnit: validation.businessUnit,
    name: event.payload.opportunity.name,
    terms: {
      contractId: validation.projectGlobalId,
      currency: validation.currency,
      model: validation.billingTerms.model,
      rateCard: contract.rateCard,
      ...(validation.billingTerms.notToExceed ? { notToExceed: validation.billingTerms.notToExceed } : {}),
      expenseMarkupPercent: validation.billingTerms.expenseMarkupPercent,
      ...(validation.billingTerms.retainerPerPeriod ? { retainerPerPeriod: validation.billingTerms.retainerPerPeriod } : {}),
      // Milestones are known by their PSA id: the PSA's completion of that milestone makes it billable.
      milestones: contract.milestones.map((m) => ({
        id: milestoneKey(validation.instances.psa, ids.milestoneIds?.[m.name] ?? `${validation.projectGlobalId}:${m.name}`),
        name: m.name,
        amount: m.amount,
      })),
    },
  };
}
