import { describe, expect, it } from 'vitest';
import { type Money, parseCanonicalEvent, type Vendor } from '../../../canonical';
import { DEFAULT_OWNERSHIP, type RefusedAttribute } from '../../../canonical/ownership';
import {
  claimDealRevision,
  createErpProject,
  createPsaProject,
  findOrCreateErpCustomer,
  projectActivated,
  type StepContext,
  writeBackToCrm,
} from '../../../lambdas/opportunity-to-project/steps';
import { type ValidOpportunity, validateOpportunity } from '../../../lambdas/opportunity-to-project/validate-opportunity';
import type { CrmPort, CrmWriteBack } from '../../../lambdas/ports/crm';
import type { ErpCustomerDraft, ErpPort, ErpProjectDraft } from '../../../lambdas/ports/erp';
import type { PsaPort, PsaProjectDraft } from '../../../lambdas/ports/psa';
import { exampleConfig } from '../../support/example-config';
import { InMemoryWriteJournal } from '../../support/in-memory-journal';
import { InMemoryRegistry } from '../../support/in-memory-registry';
import { wonDeal } from '../../support/opportunity-fixture';

const config = exampleConfig();
const vendorOf = (id: string) => config.vendorInstances.find((v) => v.id === id)!.vendor as Vendor;

/** An ERP that upserts by external id, as NetSuite's PUT eid: does. */
class FakeErp implements ErpPort {
  readonly customers = new Map<string, ErpCustomerDraft & { id: string }>();
  readonly projects = new Map<string, ErpProjectDraft & { id: string }>();
  private next = 1000;
  readonly sent: ErpCustomerDraft[] = [];
  async upsertCustomer(c: ErpCustomerDraft) {
    this.sent.push(c);
    // An upsert updates the fields it is sent, as NetSuite's does.
    const id = this.customers.get(c.externalId)?.id ?? String(this.next++);
    this.customers.set(c.externalId, { ...this.customers.get(c.externalId), ...c, id });
    return { id };
  }
  async upsertProject(p: ErpProjectDraft) {
    const id = this.projects.get(p.externalId)?.id ?? String(this.next++);
    this.projects.set(p.externalId, { ...this.projects.get(p.externalId), ...p, id });
    return { id };
  }
}

/** A PSA whose create is not idempotent, as Kantata's POST is not. */
class FakePsa implements PsaPort {
  readonly projects: (PsaProjectDraft & { id: string })[] = [];
  readonly checks: string[] = [];
  readonly updates: [string, { budget?: Money; currency?: string }][] = [];
  failAfterCreate = false;
  async checkProject(p: PsaProjectDraft) {
    this.checks.push(p.externalReference);
  }
  async findProjectByExternalReference(ref: string) {
    const found = this.projects.find((p) => p.externalReference === ref);
    return found ? { id: found.id } : undefined;
  }
  async createProject(p: PsaProjectDraft) {
    this.projects.push({ ...p, id: String(39000 + this.projects.length) });
    if (this.failAfterCreate) throw new Error('connection reset after the POST was accepted');
    return { id: this.projects[this.projects.length - 1]!.id };
  }
  async ensurePlan(id: string) {
    return { milestoneIds: Object.fromEntries((this.projects.find((p) => p.id === id)?.milestones ?? []).map((m, i) => [m.name, `${id}-m${i}`])) };
  }
  async ensureRateCard() {
    return { rateCardId: undefined };
  }
  async updateProject(id: string, changes: { budget?: Money; currency?: string }) {
    this.updates.push([id, changes]);
  }
}

class FakeCrm implements CrmPort {
  readonly writes: [string, CrmWriteBack][] = [];
  async writeBack(id: string, fields: CrmWriteBack) {
    this.writes.push([id, fields]);
  }
}

function context(execution = 'hubspot-main-18274650231-r1'): StepContext {
  const event = wonDeal();
  return { execution, event, validation: validateOpportunity(event, config, 'us-east-1') as ValidOpportunity };
}

type Deps = {
  erp: FakeErp;
  psa: FakePsa;
  crm: FakeCrm;
  registry: InMemoryRegistry;
  journal: InMemoryWriteJournal;
  refusals: [string, readonly RefusedAttribute[]][];
};
const fakes = (): Deps => ({
  erp: new FakeErp(),
  psa: new FakePsa(),
  crm: new FakeCrm(),
  registry: new InMemoryRegistry(),
  journal: new InMemoryWriteJournal(),
  refusals: [],
});
const psaDeps = (deps: Deps) => ({
  ...deps,
  vendorOf,
  policy: DEFAULT_OWNERSHIP,
  recordRefusals: async (projectId: string, refused: readonly RefusedAttribute[]) => void deps.refusals.push([projectId, refused]),
  now: () => new Date(),
});

async function runAll(ctx: StepContext, deps: Deps) {
  const customer = await findOrCreateErpCustomer(ctx, psaDeps(deps));
  const psa = await createPsaProject(ctx, psaDeps(deps));
  const erp = await createErpProject(ctx, customer.erpCustomerId, psaDeps(deps));
  await writeBackToCrm(ctx, { erpCustomerId: customer.erpCustomerId, erpProjectId: erp.erpProjectId, psaProjectId: psa.psaProjectId }, deps);
  return { ...customer, ...psa, ...erp };
}

describe('opportunity to project steps', () => {
  it('make one customer, one PSA project with tasks and rate card, one ERP project under the customer, and write the ids back', async () => {
    const deps = fakes();

    const ids = await runAll(context(), deps);

    expect(deps.erp.customers.size).toBe(1);
    expect([...deps.erp.projects.values()]).toEqual([expect.objectContaining({ customerId: ids.erpCustomerId, currency: 'USD' })]);
    expect(deps.psa.projects).toHaveLength(1);
    expect(deps.psa.projects[0]).toMatchObject({
      tasks: [{ name: 'Discovery' }, { name: 'Internal QA' }],
      rateCard: [{ role: 'Principal' }, { role: 'Consultant' }, { role: 'Consultant' }],
    });
    expect(deps.crm.writes).toEqual([
      [
        '18274650231',
        {
          erpCustomerId: ids.erpCustomerId,
          erpProjectId: ids.erpProjectId,
          psaProjectId: ids.psaProjectId,
          syncStatus: 'synced',
          syncMessage: expect.any(String),
        },
      ],
    ]);
  });

  it('create nothing more when run again, as after a retry or a replayed event', async () => {
    const deps = fakes();

    const first = await runAll(context(), deps);
    const second = await runAll(context('hubspot-main-18274650231-r2'), deps);

    expect(second).toMatchObject({
      customerGlobalId: first.customerGlobalId,
      erpCustomerId: first.erpCustomerId,
      psaProjectId: first.psaProjectId,
      erpProjectId: first.erpProjectId,
      recovered: true,
    });
    expect([deps.erp.customers.size, deps.erp.projects.size, deps.psa.projects.length]).toEqual([1, 1, 1]);
  });

  it('find the PSA project by its external reference after a crash between the POST and the registry update', async () => {
    const deps = fakes();
    deps.psa.failAfterCreate = true;
    await expect(createPsaProject(context(), psaDeps(deps))).rejects.toThrow(/connection reset/);
    deps.psa.failAfterCreate = false;

    const retried = await createPsaProject(context(), psaDeps(deps));

    expect(retried).toMatchObject({ psaProjectId: deps.psa.projects[0]!.id, recovered: true, revised: { refused: [] } });
    expect(deps.psa.projects).toHaveLength(1);
    // Checked once, before the one create; the recovery only looked.
    expect(deps.psa.checks).toHaveLength(1);
  });

  describe('a later revision of the deal', () => {
    const revised = (revision: number, change: (opportunity: Record<string, unknown>, payload: Record<string, unknown>) => void) => {
      const event = wonDeal((p) => {
        p.opportunity = { ...p.opportunity, revision };
        change(p.opportunity as unknown as Record<string, unknown>, p);
      });
      return { execution: `hubspot-main-18274650231-r${revision}`, event, validation: validateOpportunity(event, config, 'us-east-1') as ValidOpportunity };
    };
    const budget = (amountMinor: number) => (o: Record<string, unknown>) => {
      o.amount = { amountMinor, currency: 'USD' };
    };

    it('apply what the CRM owns to the PSA project, record what the PSA owns as refused with the reason, and apply nothing twice', async () => {
      const deps = fakes();
      const first = await createPsaProject(revised(1, budget(100_000_00)), psaDeps(deps));
      const renamed = (o: Record<string, unknown>) => {
        budget(125_000_00)(o);
        o.name = 'Globex rollout phase 2';
      };

      const second = await createPsaProject(revised(2, renamed), psaDeps(deps));
      const again = await createPsaProject(revised(2, renamed), psaDeps(deps));

      expect(second.revised?.applied).toEqual(['budget']);
      expect(deps.psa.updates).toEqual([[first.psaProjectId, { budget: { amountMinor: 125_000_00, currency: 'USD' } }]]);
      expect(deps.refusals).toEqual([
        [
          first.psaProjectId,
          [expect.objectContaining({ attribute: 'name', owner: 'psa', reason: expect.stringContaining('name of project is owned by psa') })],
        ],
      ]);
      expect(again.revised).toEqual({ applied: [], refused: [] });
    });

    it('refuse a currency change (the rate card is in the old one) and leave a budget the CRM removed as the PSA has it', async () => {
      const deps = fakes();
      await createPsaProject(revised(1, budget(100_000_00)), psaDeps(deps));

      const second = await createPsaProject(
        revised(2, (o, p) => {
          delete o.amount;
          // The whole contract in CAD, as a deal re-priced in another currency would be.
          const contract = JSON.parse(JSON.stringify(p.contract).replaceAll('"USD"', '"CAD"')) as unknown;
          Object.assign(p, { currency: 'CAD', contract });
        }),
        psaDeps(deps),
      );

      expect(second.revised).toEqual({
        applied: [],
        refused: [expect.objectContaining({ attribute: 'currency', reason: expect.stringContaining('change order') })],
      });
      expect(deps.psa.updates).toEqual([]);
    });

    it('write nothing when a newer revision was claimed while this one ran', async () => {
      const deps = fakes();
      await createPsaProject(revised(1, budget(100_000_00)), psaDeps(deps));
      const late = revised(2, budget(110_000_00));
      await claimDealRevision(revised(3, budget(125_000_00)), deps);

      const result = await createPsaProject(late, psaDeps(deps));

      expect(result.revised).toEqual({ applied: [], refused: [] });
      expect(deps.psa.updates).toEqual([]);
    });
  });

  it('wait for a create another revision has in flight, and take it over once that is long past', async () => {
    const deps = fakes();
    const ctx = context('hubspot-main-18274650231-r2');
    const target = { vendor: 'kantata' as const, instance: ctx.validation.instances.psa };
    await deps.registry.reserveCreate({ entityType: 'project', globalId: ctx.validation.projectGlobalId, target, executionId: 'hubspot-main-18274650231-r1' });

    await expect(createPsaProject(ctx, psaDeps(deps))).rejects.toMatchObject({ name: 'CreateInProgress' });
    const later = await createPsaProject(ctx, { ...psaDeps(deps), now: () => new Date(Date.now() + 16 * 60_000) });

    expect(deps.psa.projects.map((p) => p.id)).toEqual([later.psaProjectId]);
  });

  it('let one of two executions finding the same stale reservation at once take it over and create; the other waits', async () => {
    const deps = fakes();
    const r2 = context('hubspot-main-18274650231-r2');
    const r3 = context('hubspot-main-18274650231-r3');
    const target = { vendor: 'kantata' as const, instance: r2.validation.instances.psa };
    await deps.registry.reserveCreate({ entityType: 'project', globalId: r2.validation.projectGlobalId, target, executionId: 'hubspot-main-18274650231-r1' });
    const later = { ...psaDeps(deps), now: () => new Date(Date.now() + 16 * 60_000) };

    const outcomes = await Promise.allSettled([createPsaProject(r2, later), createPsaProject(r3, later)]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { name: 'CreateInProgress' } });
    expect(deps.psa.projects).toHaveLength(1);
  });

  it('claim revisions so one arriving after a newer one is superseded, while a retry of the newest goes on', async () => {
    const registry = new InMemoryRegistry();
    const at = (revision: number) => {
      const event = wonDeal((p) => {
        p.opportunity = { ...p.opportunity, revision };
      });
      return { execution: `r${revision}`, event, validation: validateOpportunity(event, config, 'us-east-1') as ValidOpportunity };
    };

    const outcomes = [];
    for (const revision of [1, 3, 2, 3]) outcomes.push(await claimDealRevision(at(revision), { registry }));

    expect(outcomes.map((o) => [o.revision, o.latest, o.newestRevision])).toEqual([
      [1, true, 1],
      [3, true, 3],
      [2, false, 3],
      [3, true, 3],
    ]);
  });

  describe("an operator's restart of a failed execution (`<name>-ops<attempt>`, the same revision)", () => {
    const original = 'hubspot-main-18274650231-r1';
    const target = (ctx: StepContext) => ({ vendor: 'kantata' as const, instance: ctx.validation.instances.psa });

    it('finds its revision claimed by the execution it restarts, and goes on', async () => {
      const registry = new InMemoryRegistry();

      const first = await claimDealRevision(context(original), { registry });
      const restarted = await claimDealRevision(context(`${original}-ops1`), { registry });
      const again = await claimDealRevision(context(`${original}-ops2`), { registry });

      expect([first, restarted, again].map((o) => [o.revision, o.latest, o.newestRevision])).toEqual([
        [1, true, 1],
        [1, true, 1],
        [1, true, 1],
      ]);
    });

    it('takes the create the execution it restarts reserved for its own, just after it, and makes the one project', async () => {
      const deps = fakes();
      const ctx = context(`${original}-ops1`);
      // The original reserved the create and failed on the POST (the vendor down past every retry).
      await deps.registry.reserveCreate({ entityType: 'project', globalId: ctx.validation.projectGlobalId, target: target(ctx), executionId: original });

      const restarted = await createPsaProject(ctx, psaDeps(deps));
      const again = await createPsaProject(context(`${original}-ops2`), psaDeps(deps));

      expect(restarted).toMatchObject({ recovered: false });
      expect(again).toMatchObject({ psaProjectId: restarted.psaProjectId, recovered: true });
      expect(deps.psa.projects.map((p) => p.id)).toEqual([restarted.psaProjectId]);
    });

    it('finds the project the execution it restarts made, when that create was applied with its answer lost', async () => {
      const deps = fakes();
      deps.psa.failAfterCreate = true;
      await expect(createPsaProject(context(original), psaDeps(deps))).rejects.toThrow(/connection reset/);
      deps.psa.failAfterCreate = false;

      const restarted = await createPsaProject(context(`${original}-ops1`), psaDeps(deps));

      expect(restarted).toMatchObject({ psaProjectId: deps.psa.projects[0]!.id, recovered: true });
      expect(deps.psa.projects).toHaveLength(1);
    });

    it('still waits for a create another revision, or a restart of another revision, has in flight', async () => {
      const deps = fakes();
      const ctx = context('hubspot-main-18274650231-r2');
      await deps.registry.reserveCreate({
        entityType: 'project',
        globalId: ctx.validation.projectGlobalId,
        target: target(ctx),
        executionId: `${original}-ops1`,
      });

      await expect(createPsaProject(ctx, psaDeps(deps))).rejects.toMatchObject({ name: 'CreateInProgress' });
      await expect(createPsaProject(context('hubspot-main-18274650231-r2-ops1'), psaDeps(deps))).rejects.toMatchObject({ name: 'CreateInProgress' });
      // Nor is a name that only begins like the original's the same execution.
      await expect(createPsaProject(context('hubspot-main-18274650231-r10-ops1'), psaDeps(deps))).rejects.toMatchObject({ name: 'CreateInProgress' });
      expect(deps.psa.projects).toHaveLength(0);
    });

    it('publishes the project.activated event of the execution it restarts, under the same id', () => {
      const ids = { customerGlobalId: '7f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f', erpCustomerId: '1000', erpProjectId: '1001', psaProjectId: '39000' };
      const at = new Date('2026-11-24T10:00:00Z');

      expect(projectActivated(context(`${original}-ops1`), ids, at).id).toBe(projectActivated(context(original), ids, at).id);
      expect(projectActivated(context('hubspot-main-18274650231-r2'), ids, at).id).not.toBe(projectActivated(context(original), ids, at).id);
    });
  });

  it('give two deals of the same account one ERP customer', async () => {
    const deps = fakes();
    const other = wonDeal((p) => (p.opportunity.crmId = '99999'));

    const a = await findOrCreateErpCustomer(context(), psaDeps(deps));
    const b = await findOrCreateErpCustomer(
      { execution: 'x', event: other, validation: validateOpportunity(other, config, 'us-east-1') as ValidOpportunity },
      psaDeps(deps),
    );

    expect(b.erpCustomerId).toBe(a.erpCustomerId);
    expect(deps.erp.customers.size).toBe(1);
  });

  it('name and date a new ERP project from the deal, and leave them to the PSA afterwards', async () => {
    const deps = fakes();
    await runAll(context(), deps);
    const renamed = wonDeal((p) => {
      p.opportunity = { ...p.opportunity, revision: 2, name: 'Renamed in the CRM' };
      p.contract = { ...p.contract, endDate: '2027-12-31' };
    });

    await runAll(
      { execution: 'hubspot-main-18274650231-r2', event: renamed, validation: validateOpportunity(renamed, config, 'us-east-1') as ValidOpportunity },
      deps,
    );

    expect([...deps.erp.projects.values()]).toEqual([expect.objectContaining({ name: 'Globex ERP rollout, phase 1', endDate: '2027-05-14' })]);
  });

  it('change what the CRM owns of an existing ERP customer and leave what the ERP owns as the ERP has it', async () => {
    const deps = fakes();
    const later = wonDeal((p) => {
      p.opportunity = { ...p.opportunity, crmId: '99999' };
      p.account = { ...p.account, name: 'Globex Holdings' };
      p.taxProfileCode = 'US-EXEMPT';
    });

    await findOrCreateErpCustomer(context(), psaDeps(deps));
    await findOrCreateErpCustomer(
      { execution: 'x', event: later, validation: validateOpportunity(later, config, 'us-east-1') as ValidOpportunity },
      psaDeps(deps),
    );

    expect(deps.erp.sent.map((c) => [c.name, c.taxProfileCode, c.paymentTermsCode])).toEqual([
      ['Globex Corporation', 'US-OR-EXEMPT', 'NET30'],
      ['Globex Holdings', undefined, undefined],
    ]);
    expect([...deps.erp.customers.values()]).toEqual([expect.objectContaining({ name: 'Globex Holdings', taxProfileCode: 'US-OR-EXEMPT' })]);
  });

  it('describe the activated project in a valid project.activated event with a stable id', async () => {
    const ctx = context();
    const ids = { customerGlobalId: '7f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f', erpCustomerId: '1000', erpProjectId: '1001', psaProjectId: '39000' };

    const event = projectActivated(ctx, ids, new Date('2026-11-24T10:00:00Z'));

    expect(parseCanonicalEvent(event)).toMatchObject({
      type: 'project.activated',
      payload: { erp: { instance: 'netsuite-us', projectId: '1001' }, psa: { projectId: '39000' } },
    });
    expect(projectActivated(ctx, ids, new Date()).id).toBe(event.id);
  });
});
