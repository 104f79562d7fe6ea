import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectActivatedEvent } from '../../canonical';
import { deterministicUuid } from '../../lambdas/common/deterministic-id';
import { ErpReferenceNotConfiguredError, VendorThrottledError, VendorUnavailableError } from '../../lambdas/common/errors';
import type { BusinessException } from '../../lambdas/common/exceptions';
import { type StepDependencies, stepHandlers } from '../../lambdas/opportunity-to-project/step-handlers';
import type { ContractRecord } from '../../lambdas/ports/billing-ledger';
import type { CrmWriteBack } from '../../lambdas/ports/crm';
import type { ErpCustomerDraft, ErpPort, ErpProjectDraft } from '../../lambdas/ports/erp';
import type { PsaPort, PsaProjectDraft } from '../../lambdas/ports/psa';
import { opportunityToProject } from '../../lib/topology/opportunity-to-project';
import { type JsonValue, startStepFunctions } from '../../local/aws/step-functions';
import { exampleConfig } from '../support/example-config';
import { InMemoryWriteJournal } from '../support/in-memory-journal';
import { InMemoryRegistry } from '../support/in-memory-registry';
import { wonDeal } from '../support/opportunity-fixture';

const declaration = opportunityToProject.stateMachines[0]!;
const definition = readFileSync(join(__dirname, '..', '..', declaration.definitionFile), 'utf8').replace(
  /\$\{(\w+)\}/g,
  (_, p: string) => `arn:aws:lambda:us-east-1:000000000000:function:${declaration.tasks[p]}`,
);
const call = { vendor: 'netsuite', instance: 'netsuite-us', operation: 'upsertCustomer' };

function world() {
  const erpCustomers = new Map<string, ErpCustomerDraft>();
  const erpProjects = new Map<string, ErpProjectDraft>();
  const psaProjects: PsaProjectDraft[] = [];
  const crmWrites: [string, CrmWriteBack][] = [];
  const exceptions: BusinessException[] = [];
  const published: ProjectActivatedEvent[] = [];
  const contracts: ContractRecord[] = [];
  const resolved: string[] = [];
  const erpFailures: Error[] = [];
  let erpCalls = 0;
  const erp: ErpPort = {
    upsertCustomer: async (c) => {
      erpCalls += 1;
      const failure = erpFailures.shift();
      if (failure) throw failure;
      erpCustomers.set(c.externalId, c);
      return { id: `C${erpCustomers.size}` };
    },
    upsertProject: async (p) => (erpProjects.set(p.externalId, p), { id: `J${erpProjects.size}` }),
  };
  const psa: PsaPort = {
    findProjectByExternalReference: async (ref) => (psaProjects.some((p) => p.externalReference === ref) ? { id: 'W1' } : undefined),
    checkProject: async () => undefined,
    createProject: async (p) => (psaProjects.push(p), { id: `W${psaProjects.length}` }),
    ensurePlan: async (_id, p) => ({ milestoneIds: Object.fromEntries(p.milestones.map((m, i) => [m.name, `M${i}`])) }),
    ensureRateCard: async () => ({ rateCardId: undefined }),
    updateProject: async () => undefined,
  };
  const deps: StepDependencies = {
    config: exampleConfig(),
    region: 'us-east-1',
    registry: new InMemoryRegistry(),
    journal: new InMemoryWriteJournal(),
    erpFor: () => erp,
    psaFor: () => psa,
    crmFor: () => ({ writeBack: async (id, fields) => void crmWrites.push([id, fields]) }),
    publish: async (e) => void published.push(e),
    recordContract: async (c) => void contracts.push(c),
    recordException: async (e) => void exceptions.push(e),
    resolveException: async (key) => void resolved.push(key.entityId),
    now: () => new Date('2026-11-24T12:00:00Z'),
  };
  return { deps, erpCustomers, erpProjects, psaProjects, crmWrites, exceptions, published, contracts, resolved, erpFailures, erpCalls: () => erpCalls };
}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => Promise.all(running.splice(0).map((s) => s.close())));

async function execute(w: ReturnType<typeof world>, event: unknown) {
  const handlers = stepHandlers(w.deps) as unknown as Record<string, (input: JsonValue) => Promise<JsonValue>>;
  const sfn = await startStepFunctions({
    region: 'us-east-1',
    stateMachines: [
      {
        name: declaration.id,
        definition,
        invokeResource: (arn) => handlers[arn.split(':').pop()!],
        // Real backoff is seconds; the paths are what is under test here.
        retryIntervalOverrides: Object.fromEntries(Object.values(declaration.tasks).map((t) => [t, 1])),
      },
    ],
  });
  running.push(sfn);
  const client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: sfn.arnOf(declaration.id), name: 'hubspot-main-18274650231-r1', input: JSON.stringify({ event }) }),
  );
  await sfn.executions[0]!.done;
  return client.send(new DescribeExecutionCommand({ executionArn }));
}

describe('opportunity-to-project.asl.json', () => {
  it('happy path: one customer, one PSA project, one ERP project, ids in the CRM, project.activated published', async () => {
    const w = world();

    const result = await execute(w, wonDeal());

    expect(result.status).toBe('SUCCEEDED');
    expect([w.erpCustomers.size, w.psaProjects.length, w.erpProjects.size]).toEqual([1, 1, 1]);
    expect(w.crmWrites).toEqual([
      ['18274650231', expect.objectContaining({ erpCustomerId: 'C1', erpProjectId: 'J1', psaProjectId: 'W1', syncStatus: 'synced' })],
    ]);
    expect(w.published.map((e) => e.type)).toEqual(['project.activated']);
    // The contract billing will apply, keyed by the PSA project, with the ids an invoice needs.
    expect(w.contracts).toEqual([
      expect.objectContaining({
        psa: { instance: 'kantata-global', projectId: 'W1' },
        erp: expect.objectContaining({ customerId: 'C1', projectId: 'J1' }),
        terms: expect.objectContaining({ currency: 'USD', model: 'time-and-materials' }),
      }),
    ]);
    expect(w.contracts[0]!.terms.rateCard.length).toBeGreaterThan(0);
    // Milestones are known to billing by their PSA id, which the PSA step returned.
    expect(w.contracts[0]!.terms.milestones.map((m) => m.id)).toEqual(w.psaProjects[0]!.milestones.map((_, i) => `milestone:kantata-global:M${i}`));
    expect(w.exceptions).toEqual([]);
    expect(w.resolved).toEqual(['hubspot-main:18274650231']);
  });

  it('validation failure: an exception with the reasons, the CRM told it needs attention, nothing created', async () => {
    const w = world();

    const result = await execute(
      w,
      wonDeal((p) => delete p.taxProfileCode),
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'OpportunityNeedsAttention' });
    expect(w.exceptions).toEqual([
      expect.objectContaining({
        entityId: 'hubspot-main:18274650231',
        reason: expect.stringContaining('ps_tax_profile: the deal names no tax profile'),
        remediation: expect.stringContaining('sync revision'),
      }),
    ]);
    expect(w.crmWrites).toEqual([
      ['18274650231', expect.objectContaining({ syncStatus: 'needs-attention', syncMessage: expect.stringContaining('tax profile') })],
    ]);
    expect(w.erpCustomers.size + w.psaProjects.length).toBe(0);
  });

  it('throttled twice, then success: the state machine retries, the adapter does not', async () => {
    const w = world();
    w.erpFailures.push(new VendorThrottledError(call), new VendorThrottledError(call));

    const result = await execute(w, wonDeal());

    expect(result.status).toBe('SUCCEEDED');
    expect(w.erpCalls()).toBe(3);
    expect(w.erpCustomers.size).toBe(1);
  });

  it('5xx until retries are exhausted: the execution fails at the task, off the business path, to be redriven from there', async () => {
    const w = world();
    w.erpFailures.push(...Array.from({ length: 10 }, () => new VendorUnavailableError(call, 'HTTP 503')));

    const result = await execute(w, wonDeal());

    // Not caught: the failed state stays FindOrCreateErpCustomer, and the status change records the exception.
    expect(result).toMatchObject({ status: 'FAILED', error: 'VendorUnavailable' });
    expect(w.erpCalls()).toBe(5);
    expect(w.exceptions).toEqual([]);
  });

  it('an ERP reference not configured: no retry, an exception naming the missing code with its remediation', async () => {
    const w = world();
    w.erpFailures.push(new ErpReferenceNotConfiguredError('netsuite-us has no paymentTermsIds entry for NET30'));

    const result = await execute(w, wonDeal());

    expect(result).toMatchObject({ status: 'FAILED', error: 'OpportunityNeedsAttention' });
    expect(w.erpCalls()).toBe(1);
    expect(w.exceptions).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^ErpReferenceNotConfigured: netsuite-us has no paymentTermsIds entry for NET30/),
        remediation: expect.stringContaining('paymentTermsIds'),
      }),
    ]);
    expect(w.psaProjects).toEqual([]);
  });

  it('flow switched off for the business unit: nothing happens, and the reason is in the output', async () => {
    const w = world();

    const result = await execute(
      w,
      wonDeal((p) => ((p.legalEntityId = 'acme-de'), (p.currency = 'EUR'))),
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}').validation).toEqual({ outcome: 'switched-off', reason: expect.stringContaining('switched off') });
    expect(w.erpCalls() + w.psaProjects.length + w.crmWrites.length + w.exceptions.length).toBe(0);
  });

  it('superseded by a newer revision: an older revision arriving late writes nothing', async () => {
    const w = world();
    await w.deps.registry.recordVersion({
      globalId: deterministicUuid('project', 'hubspot:hubspot-main:18274650231'),
      source: { vendor: 'hubspot', instance: 'hubspot-main' },
      version: '2',
      counter: 'revision',
    });

    const result = await execute(w, wonDeal());

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}').revision).toEqual({ latest: false, revision: 1, newestRevision: 2 });
    expect(w.erpCalls() + w.psaProjects.length + w.crmWrites.length + w.exceptions.length + w.contracts.length).toBe(0);
  });
});
