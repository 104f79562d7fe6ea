import type { Money, OpportunityWonEvent, ProjectActivatedEvent, SystemRef, Vendor } from '../../canonical';
import { decideChange, type OwnershipPolicy, ownerOf, type RefusedAttribute } from '../../canonical/ownership';
import { milestoneKey } from '../common/billing-keys';
import type { CrossReferenceRegistry } from '../common/cross-reference/registry';
import { CrossReferenceConflictError, type SystemLink } from '../common/cross-reference/registry';
import { deterministicUuid } from '../common/deterministic-id';
import { SyncError } from '../common/errors';
import { originalExecutionName, sameRun } from '../common/execution-restarts';
import type { WriteJournal } from '../common/write-journal';
import type { ContractRecord } from '../ports/billing-ledger';
import type { CrmPort, CrmWriteBack } from '../ports/crm';
import type { ErpPort } from '../ports/erp';
import type { PsaPort, PsaProjectDraft } from '../ports/psa';
import type { ValidOpportunity } from './validate-opportunity';

/**
 * The steps of opportunity to project, as plain functions over the ports and the registry. Each is
 * safe to run again after a crash or a retry: ERP writes are upserts by external id, the PSA create
 * is reserved in the registry before the call and carries the external reference it is found by on
 * recovery, the PSA plan and rate card look before they make, and every id is derived deterministically
 * from the deal.
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

/** Whether the record of a global id already exists in a system, by its registry link. */
async function linkedIn(registry: CrossReferenceRegistry, globalId: string, target: SystemRef): Promise<boolean> {
  return (await registry.linksOf(globalId)).some(
    (link) => link.system.vendor === target.vendor && link.system.instance === target.instance && link.nativeId !== undefined,
  );
}

/** Which attributes the deal sets: all of a record it makes; of one that exists, those the policy gives the CRM. */
function dealSets(policy: OwnershipPolicy, entity: 'customer' | 'project', exists: boolean): (attribute: string) => boolean {
  return (attribute) => !exists || ownerOf(policy, entity, attribute) === 'crm';
}

/** Finds or creates the ERP customer for the deal's account; the account's global id is claimed first. */
export async function findOrCreateErpCustomer(
  ctx: StepContext,
  deps: { erp: ErpPort; registry: CrossReferenceRegistry; vendorOf: VendorOf; policy: OwnershipPolicy },
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
  const erp = system(validation.instances.erp, deps.vendorOf);
  // The deal's payment terms and tax profile make a new customer; after that the ERP owns them, and a later
  // deal or revision changes only what the policy gives the CRM (the name, the address).
  const fromDeal = dealSets(deps.policy, 'customer', await linkedIn(deps.registry, customerGlobalId, erp));
  const { id } = await deps.erp.upsertCustomer({
    externalId: customerGlobalId,
    name: account.name,
    ...(account.billingAddress ? { billingAddress: account.billingAddress } : {}),
    currency: validation.currency,
    ...(fromDeal('paymentTermsCode') ? { paymentTermsCode: validation.billingTerms.paymentTermsCode } : {}),
    ...(fromDeal('taxProfileCode') ? { taxProfileCode: validation.taxProfileCode } : {}),
    legalEntityId: validation.legalEntityId,
  });
  const erpClaim = await deps.registry.claimNativeRecord({
    entityType: 'customer',
    system: erp,
    nativeId: id,
    globalId: customerGlobalId,
  });
  if (erpClaim.outcome === 'already-claimed') {
    throw new CrossReferenceConflictError(`ERP customer ${id} already belongs to ${erpClaim.globalId}; merge the two customers before re-running`);
  }
  return { customerGlobalId, erpCustomerId: id };
}

/** How long another execution's reservation is taken to be in flight: longer than that step's whole retry budget. */
const CREATE_IN_FLIGHT_MS = 15 * 60_000;

/** Another execution reserved the create and may still be making it. */
export class CreateInProgressError extends SyncError {
  override readonly name = 'CreateInProgress';
}

/** The PSA project as the deal describes it. */
export function psaDraft(ctx: StepContext): PsaProjectDraft {
  const { event, validation } = ctx;
  const p = event.payload;
  return {
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
}

/**
 * Claims the deal's revision for its project before anything is written. A revision older than one
 * already claimed (delivered late or out of order) is superseded and writes nothing, so no system rolls
 * back to it; a retry of this execution, or an operator's restart of it under `<name>-ops<attempt>` (the
 * same revision), finds its own revision stored and goes on.
 */
export async function claimDealRevision(
  ctx: StepContext,
  deps: { registry: CrossReferenceRegistry },
): Promise<{ latest: boolean; revision: number; newestRevision: number }> {
  const revision = ctx.event.payload.opportunity.revision;
  const result = await deps.registry.recordVersion({
    globalId: ctx.validation.projectGlobalId,
    source: ctx.event.source,
    version: String(revision),
    counter: 'revision',
  });
  const newestRevision = result.outcome === 'applied' ? revision : Number(result.storedVersion);
  return { latest: newestRevision <= revision, revision, newestRevision };
}

/** The project's attributes as the deal proposes them, by their canonical names (the ownership policy's). */
function proposedProject(draft: PsaProjectDraft): Record<string, unknown> {
  return {
    name: draft.name,
    currency: draft.currency,
    budget: draft.budget ?? null,
    startDate: draft.startDate ?? null,
    endDate: draft.endDate ?? null,
  };
}

/** Where the project's attributes last taken from the CRM are kept: a change is what differs from them. */
const proposalKey = (projectGlobalId: string) => ({ scope: `crm#${projectGlobalId}`, key: 'project' });

/** What a step needs to revise an existing PSA project. */
export interface RevisionDependencies {
  readonly psa: PsaPort;
  readonly registry: CrossReferenceRegistry;
  readonly journal: WriteJournal;
  readonly policy: OwnershipPolicy;
  /** Records the changes refused on the project, durably, before the revision counts as applied. */
  readonly recordRefusals: (projectId: string, refused: readonly RefusedAttribute[]) => Promise<void>;
  readonly now: () => Date;
}

/**
 * A later revision of the deal reaching the existing PSA project: of what changed since the CRM last
 * proposed it, the budget (the CRM's) is applied, and what the PSA owns (name, dates) is refused and
 * recorded with its reason, never dropped in silence. A currency change is refused too: the project's
 * rate card is in the old currency, so it is a change order. A revision claimed after this one began
 * carries its own changes: this one then writes nothing.
 */
async function reviseProject(
  ctx: StepContext,
  projectId: string,
  draft: PsaProjectDraft,
  deps: RevisionDependencies,
): Promise<{ applied: string[]; refused: readonly RefusedAttribute[] }> {
  const { scope, key } = proposalKey(ctx.validation.projectGlobalId);
  const proposed = proposedProject(draft);
  const last = (await deps.journal.entries(scope)).get(key);
  const before = last?.state === 'done' ? (JSON.parse(last.value) as Record<string, unknown>) : undefined;
  // Without a record of the last proposal, the CRM's own attributes are applied and nothing is called a change.
  const changed = Object.fromEntries(
    Object.entries(proposed).filter(([attribute, value]) => (before === undefined ? true : JSON.stringify(before[attribute]) !== JSON.stringify(value))),
  );
  const decision = decideChange(deps.policy, {
    entityType: 'project',
    globalId: ctx.validation.projectGlobalId,
    source: ctx.event.source,
    attributes: changed,
  });
  const { currency, budget, ...rest } = decision.apply;
  const refused: RefusedAttribute[] = before === undefined ? [] : [...decision.refused];
  if (currency !== undefined && before !== undefined)
    refused.push({
      attribute: 'currency',
      owner: 'crm',
      reason: `currency of project changed from ${String(before.currency)} to ${String(currency)} in ${ctx.event.source.vendor}/${ctx.event.source.instance}; the project's rate card is in ${String(before.currency)}, so the change was not applied. A change of currency is a change order.`,
    });
  // A budget removed in the CRM leaves the PSA's as it is.
  const apply = { ...rest, ...(budget ? { budget } : {}) };
  const claim = await claimDealRevision(ctx, deps);
  if (!claim.latest) return { applied: [], refused: [] };
  if (refused.length > 0) await deps.recordRefusals(projectId, refused);
  if (apply.budget) await deps.psa.updateProject(projectId, { budget: apply.budget as Money });
  await deps.journal.done(scope, key, JSON.stringify(proposed));
  return { applied: Object.keys(apply).sort(), refused };
}

/**
 * Whether this execution may make a create the registry holds as reserved and not done. Its own
 * reservation, yes. Another revision's (or another deal's) may still be on its way to Kantata within the
 * window: wait rather than make a second project. Past the window, or held by the failed run an operator's
 * restart (`<name>-ops<attempt>`) carries on (which has ended before the restart starts), it is taken over
 * with a conditional write, so of two executions taking the same one at once only one creates.
 */
async function mayMakeReservedCreate(
  link: SystemLink,
  execution: string,
  key: { entityType: 'project'; globalId: string; target: SystemRef },
  deps: { registry: CrossReferenceRegistry; now: () => Date },
): Promise<boolean> {
  if (link.executionId === execution) return true;
  const inFlight =
    link.executionId !== undefined &&
    !sameRun(link.executionId, execution) &&
    link.reservedAt !== undefined &&
    deps.now().getTime() - Date.parse(link.reservedAt) < CREATE_IN_FLIGHT_MS;
  if (inFlight) return false;
  return deps.registry.takeOverReservation({ ...key, executionId: execution, from: { executionId: link.executionId, reservedAt: link.reservedAt } });
}

/**
 * Creates the PSA project once: reserved in the registry before the call, and after a failure found
 * by the external reference the create itself carried. Its plan and rate card are the next two steps,
 * so a throttled call there does not make this one run again.
 */
export async function createPsaProject(
  ctx: StepContext,
  deps: RevisionDependencies & { vendorOf: VendorOf },
): Promise<{ psaProjectId: string; recovered: boolean; revised?: { applied: string[]; refused: readonly RefusedAttribute[] } }> {
  const { validation, execution } = ctx;
  const target = system(validation.instances.psa, deps.vendorOf);
  const draft = psaDraft(ctx);
  const key = { entityType: 'project' as const, globalId: validation.projectGlobalId, target };
  const reservation = await deps.registry.reserveCreate({ ...key, executionId: execution });
  if (reservation.outcome === 'existing') {
    let projectId = reservation.link.state === 'completed' ? reservation.link.nativeId : undefined;
    if (projectId === undefined) {
      // Reserved earlier but not completed: the create may have been applied with its answer lost. Look before creating.
      projectId = (await deps.psa.findProjectByExternalReference(validation.projectGlobalId))?.id;
      if (projectId !== undefined) await deps.registry.completeCreate({ ...key, nativeId: projectId });
      else if (!(await mayMakeReservedCreate(reservation.link, execution, key, deps)))
        throw new CreateInProgressError(
          `The PSA project of ${validation.projectGlobalId} is being created by another execution (reserved by ${reservation.link.executionId ?? 'an earlier one'}); retrying`,
        );
    }
    if (projectId !== undefined) return { psaProjectId: projectId, recovered: true, revised: await reviseProject(ctx, projectId, draft, deps) };
  }
  await deps.psa.checkProject(draft);
  const created = await deps.psa.createProject(draft);
  await deps.registry.completeCreate({ ...key, nativeId: created.id });
  const { scope, key: proposal } = proposalKey(validation.projectGlobalId);
  await deps.journal.done(scope, proposal, JSON.stringify(proposedProject(draft)));
  return { psaProjectId: created.id, recovered: false };
}

/** Adds the contract's tasks and milestones the PSA project lacks; names each milestone's PSA id for billing. */
export async function addPsaProjectPlan(
  ctx: StepContext,
  psaProjectId: string,
  deps: { psa: PsaPort },
): Promise<{ milestoneIds: Readonly<Record<string, string>> }> {
  return deps.psa.ensurePlan(psaProjectId, psaDraft(ctx));
}

/** Gives the PSA project the contract's rate card, resuming one an earlier attempt began. */
export async function applyPsaRateCard(ctx: StepContext, psaProjectId: string, deps: { psa: PsaPort }): Promise<{ rateCardId: string | null }> {
  const { rateCardId } = await deps.psa.ensureRateCard(psaProjectId, psaDraft(ctx));
  return { rateCardId: rateCardId ?? null };
}

/** Upserts the ERP project under the customer, keyed by the project's global id. */
export async function createErpProject(
  ctx: StepContext,
  erpCustomerId: string,
  deps: { erp: ErpPort; registry: CrossReferenceRegistry; vendorOf: VendorOf; policy: OwnershipPolicy },
): Promise<{ erpProjectId: string }> {
  const { event, validation } = ctx;
  const erp = system(validation.instances.erp, deps.vendorOf);
  // The deal names and dates a new project; after that the policy gives them to the PSA, and a later
  // revision sends the ERP only what the CRM owns (the customer, the currency).
  const fromDeal = dealSets(deps.policy, 'project', await linkedIn(deps.registry, validation.projectGlobalId, erp));
  const contract = event.payload.contract;
  const { id } = await deps.erp.upsertProject({
    externalId: validation.projectGlobalId,
    ...(fromDeal('name') ? { name: event.payload.opportunity.name } : {}),
    customerId: erpCustomerId,
    currency: validation.currency,
    ...(contract.startDate && fromDeal('startDate') ? { startDate: contract.startDate } : {}),
    ...(contract.endDate && fromDeal('endDate') ? { endDate: contract.endDate } : {}),
    legalEntityId: validation.legalEntityId,
  });
  const claim = await deps.registry.claimNativeRecord({
    entityType: 'project',
    system: erp,
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

/**
 * The `project.activated` event; its id is derived from the deal revision (the execution's name, an
 * operator's restart taking that of the execution it restarts) so a retry publishes the same event.
 */
export function projectActivated(
  ctx: StepContext,
  ids: { customerGlobalId: string; erpCustomerId: string; erpProjectId: string; psaProjectId: string },
  occurredAt: Date,
): ProjectActivatedEvent {
  const { event, validation } = ctx;
  return {
    id: deterministicUuid('project.activated', originalExecutionName(ctx.execution)),
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
