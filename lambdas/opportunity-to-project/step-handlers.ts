import { type DeploymentConfig, type OpportunityWonEvent, ownershipPolicy, type ProjectActivatedEvent, type Vendor } from '../../canonical';
import type { RefusedAttribute } from '../../canonical/ownership';
import type { CrossReferenceRegistry } from '../common/cross-reference/registry';
import { remediationFor } from '../common/errors';
import { type BusinessException, failureReason } from '../common/exceptions';
import type { WriteJournal } from '../common/write-journal';
import type { ContractRecord } from '../ports/billing-ledger';
import type { CrmPort } from '../ports/crm';
import type { ErpPort } from '../ports/erp';
import type { PsaPort } from '../ports/psa';
import {
  addPsaProjectPlan,
  applyPsaRateCard,
  claimDealRevision,
  contractRecord,
  createErpProject,
  createPsaProject,
  findOrCreateErpCustomer,
  projectActivated,
  type StepContext,
  writeBackToCrm,
} from './steps';
import { type SwitchedOff, type ValidOpportunity, validateOpportunity } from './validate-opportunity';

/**
 * What each Task state of `opportunity-to-project.asl.json` does with its input, given its
 * dependencies. The Lambda handlers bind these to the real adapters; the state machine tests bind
 * them to fakes. Input is always `{ execution, state }`, state being the execution's accumulated
 * JSON (`event`, then each step's result at its ResultPath).
 */

/** The accumulated execution state. */
export interface ExecutionState {
  readonly event: OpportunityWonEvent;
  readonly validation?: ValidOpportunity | SwitchedOff;
  readonly erpCustomer?: { customerGlobalId: string; erpCustomerId: string };
  readonly revision?: { latest: boolean; revision: number; newestRevision: number };
  readonly psaProject?: { psaProjectId: string; recovered: boolean; revised?: { applied: string[]; refused: readonly RefusedAttribute[] } };
  readonly psaPlan?: { milestoneIds: Readonly<Record<string, string>> };
  readonly psaRateCard?: { rateCardId: string | null };
  readonly erpProject?: { erpProjectId: string };
  /** Set by Catch: Step Functions' `{ Error, Cause }`. */
  readonly failure?: { readonly Error: string; readonly Cause?: string };
}

/** A Task state's input. */
export interface TaskInput {
  readonly execution: string;
  readonly state: ExecutionState;
}

/** Everything the steps need, resolved per legal entity by the caller. */
export interface StepDependencies {
  readonly config: DeploymentConfig;
  readonly region: string;
  readonly registry: CrossReferenceRegistry;
  /** Where the PSA project's last CRM proposal is kept, to tell what a later revision changed. */
  readonly journal: WriteJournal;
  readonly erpFor: (instanceId: string) => ErpPort;
  readonly psaFor: (instanceId: string) => PsaPort;
  readonly crmFor: (instanceId: string) => CrmPort;
  readonly publish: (event: ProjectActivatedEvent) => Promise<void>;
  /** Records the contract in the billing ledger, where time and expenses to invoice reads it. */
  readonly recordContract: (contract: ContractRecord) => Promise<void>;
  readonly recordException: (exception: BusinessException) => Promise<void>;
  /** Closes the deal's open exception after a successful run (a re-run after a data fix). */
  readonly resolveException: (key: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>, resolvedBy: string) => Promise<void>;
  readonly now: () => Date;
}

function contextOf(input: TaskInput): StepContext {
  const validation = input.state.validation;
  if (validation?.outcome !== 'valid') throw new Error(`Step ran without a valid validation result (${validation?.outcome ?? 'none'})`);
  return { execution: input.execution, event: input.state.event, validation };
}

/** The step implementations, by Task state name. */
export function stepHandlers(deps: StepDependencies) {
  const vendorOf = (id: string): Vendor => {
    const instance = deps.config.vendorInstances.find((v) => v.id === id);
    if (instance === undefined) throw new Error(`Vendor instance ${id} is not configured`);
    return instance.vendor;
  };
  return {
    ValidateOpportunity: async (input: TaskInput) => validateOpportunity(input.state.event, deps.config, deps.region),
    FindOrCreateErpCustomer: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return findOrCreateErpCustomer(ctx, {
        erp: deps.erpFor(ctx.validation.instances.erp),
        registry: deps.registry,
        vendorOf,
        policy: ownershipPolicy(deps.config),
      });
    },
    ClaimDealRevision: async (input: TaskInput) => claimDealRevision(contextOf(input), { registry: deps.registry }),
    CreatePsaProject: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return createPsaProject(ctx, {
        psa: deps.psaFor(ctx.validation.instances.psa),
        registry: deps.registry,
        vendorOf,
        journal: deps.journal,
        policy: ownershipPolicy(deps.config),
        now: deps.now,
        // The deal still syncs what the CRM owns; what it may not change waits, with its reason, for a person.
        recordRefusals: (projectId, refused) =>
          deps.recordException({
            workflow: 'opportunity-to-project',
            entityType: 'project',
            entityId: `${ctx.validation.instances.psa}:${projectId}`,
            reason: refused.map((r) => r.reason).join(' '),
            remediation: remediationFor('opportunity-to-project', 'ChangeRefusedByOwnership'),
            correlationId: ctx.event.correlationId,
            source: ctx.event.source,
            execution: ctx.execution,
            legalEntityId: ctx.validation.legalEntityId,
          }),
      });
    },
    AddPsaProjectPlan: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return addPsaProjectPlan(ctx, input.state.psaProject!.psaProjectId, { psa: deps.psaFor(ctx.validation.instances.psa) });
    },
    ApplyPsaRateCard: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return applyPsaRateCard(ctx, input.state.psaProject!.psaProjectId, { psa: deps.psaFor(ctx.validation.instances.psa) });
    },
    CreateErpProject: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return createErpProject(ctx, input.state.erpCustomer!.erpCustomerId, {
        erp: deps.erpFor(ctx.validation.instances.erp),
        registry: deps.registry,
        vendorOf,
        policy: ownershipPolicy(deps.config),
      });
    },
    WriteBackToCrm: async (input: TaskInput) => {
      const ctx = contextOf(input);
      return writeBackToCrm(
        ctx,
        {
          erpCustomerId: input.state.erpCustomer!.erpCustomerId,
          erpProjectId: input.state.erpProject!.erpProjectId,
          psaProjectId: input.state.psaProject!.psaProjectId,
        },
        { crm: deps.crmFor(ctx.validation.instances.crm) },
      );
    },
    PublishProjectActivated: async (input: TaskInput) => {
      const ctx = contextOf(input);
      const ids = { ...input.state.erpCustomer!, erpProjectId: input.state.erpProject!.erpProjectId, psaProjectId: input.state.psaProject!.psaProjectId };
      const event = projectActivated(ctx, ids, deps.now());
      // The contract first: once the project is announced, its approved time may be billed.
      await deps.recordContract(contractRecord(ctx, { ...ids, ...(input.state.psaPlan ? { milestoneIds: input.state.psaPlan.milestoneIds } : {}) }));
      await deps.publish(event);
      await deps.resolveException(exceptionKey(input), input.execution);
      return { eventId: event.id };
    },
    RecordException: async (input: TaskInput) => {
      const exception = exceptionFor(input);
      await deps.recordException(exception);
      // Tell the person who owns the deal, where they work. The exception is already recorded if this fails.
      await deps.crmFor(input.state.event.source.instance).writeBack(input.state.event.payload.opportunity.crmId, {
        syncStatus: 'needs-attention',
        syncMessage: `${exception.reason} ${exception.remediation}`.slice(0, 1000),
      });
      return { recorded: true, reason: exception.reason };
    },
  };
}

/** The exception key of the deal an execution works on. */
function exceptionKey(input: TaskInput): Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'> {
  const { event } = input.state;
  return { workflow: 'opportunity-to-project', entityType: 'opportunity', entityId: `${event.source.instance}:${event.payload.opportunity.crmId}` };
}

/** Turns Step Functions' `{ Error, Cause }` into a business exception a person can act on. */
export function exceptionFor(input: TaskInput): BusinessException {
  const { event } = input.state;
  const failure = input.state.failure ?? { Error: 'Unknown' };
  const validation = input.state.validation;
  return {
    ...exceptionKey(input),
    reason: failureReason(failure),
    remediation: remediationFor('opportunity-to-project', failure.Error),
    correlationId: event.correlationId,
    source: event.source,
    execution: input.execution,
    // What a deal that cannot start holds up: its amount.
    ...(event.payload.opportunity.amount ? { moneyAtStake: event.payload.opportunity.amount } : {}),
    ...(validation?.outcome === 'valid'
      ? { legalEntityId: validation.legalEntityId }
      : event.payload.legalEntityId
        ? { legalEntityId: event.payload.legalEntityId }
        : {}),
  };
}
