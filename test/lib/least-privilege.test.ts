import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { DEAD_LETTER_QUEUE_ACTIONS, SOURCE_QUEUE_ACTIONS } from '../../lib/dead-letter-queue-access';
import { type SharedTable, secretInstancesOf, type WorkflowDeclaration } from '../../lib/topology/declarations';
import { opportunityToProject } from '../../lib/topology/opportunity-to-project';
import { reconciliation } from '../../lib/topology/reconciliation';
import { timeToInvoice } from '../../lib/topology/time-to-invoice';
import { TABLE_ACTIONS } from '../../lib/workflow-resources';
import { exampleConfig, exampleConfigInput } from '../support/example-config';
import { functionGrants, queueGrants } from '../support/role-grants';
import { synthesizeDeployment } from '../support/synth';

// What each function may do with secrets, tables and the payload archive in the example deployment, written out by hand:
// a grant the template adds beyond this list fails here, and the local IAM gate (docs/adr/0020) fails
// any function that needs more than it is given.
type Access = 'read' | 'readWrite' | 'append' | 'record';
const ACTIONS: Record<Access, readonly string[]> = { ...TABLE_ACTIONS, append: ['dynamodb:PutItem'] };
const read = 'read';
const rw = 'readWrite';
const append = 'append';
/** The exception recorder's upsert alone: what an internet-facing intake may do to the exceptions table. */
const record = 'record';

/** Secrets by region (us-east-1: acme-us on HubSpot, Kantata, NetSuite; eu-west-1: acme-uk on HubSpot and NetSuite, acme-de on Salesforce and Business Central). */
const SECRETS: Record<string, Record<'us-east-1' | 'eu-west-1', string[]>> = {
  hubspot: { 'us-east-1': ['hubspot-main'], 'eu-west-1': ['hubspot-main'] },
  salesforce: { 'us-east-1': [], 'eu-west-1': ['salesforce-main'] },
  crm: { 'us-east-1': ['hubspot-main'], 'eu-west-1': ['hubspot-main', 'salesforce-main'] },
  psa: { 'us-east-1': ['kantata-global'], 'eu-west-1': ['kantata-global'] },
  erp: { 'us-east-1': ['netsuite-us'], 'eu-west-1': ['business-central-de', 'netsuite-eu'] },
  netsuite: { 'us-east-1': ['netsuite-us'], 'eu-west-1': ['netsuite-eu'] },
  'business-central': { 'us-east-1': [], 'eu-west-1': ['business-central-de'] },
  'crm+psa': { 'us-east-1': ['hubspot-main', 'kantata-global'], 'eu-west-1': ['hubspot-main', 'kantata-global', 'salesforce-main'] },
  'erp+psa': { 'us-east-1': ['kantata-global', 'netsuite-us'], 'eu-west-1': ['business-central-de', 'kantata-global', 'netsuite-eu'] },
  none: { 'us-east-1': [], 'eu-west-1': [] },
};

const EXPECTED: Record<
  string,
  {
    secrets: keyof typeof SECRETS;
    tables: Partial<Record<SharedTable, Access>>;
    indexes?: Partial<Record<SharedTable, Access>>;
    /** Puts payloads into the archive (s3:PutObject on payloads/*): the webhook and relay intakes, and every function that appends to the audit trail. */
    archive?: true;
  }
> = {
  ReceiveHubSpotWebhook: { secrets: 'hubspot', tables: { exceptions: record }, archive: true },
  HandleHubSpotDealEvent: { secrets: 'hubspot', tables: { idempotency: rw, crossReferences: rw, exceptions: rw } },
  HandleSalesforceOpportunityEvent: { secrets: 'salesforce', tables: { idempotency: rw, crossReferences: rw, audit: read, exceptions: rw }, archive: true },
  ReconcileWonDeals: { secrets: 'salesforce', tables: { idempotency: rw, crossReferences: read } },
  StartOpportunityToProject: { secrets: 'none', tables: {} },
  ValidateOpportunity: { secrets: 'none', tables: {} },
  ClaimDealRevision: { secrets: 'none', tables: { crossReferences: rw } },
  FindOrCreateErpCustomer: { secrets: 'erp', tables: { idempotency: rw, crossReferences: rw, audit: append }, archive: true },
  CreatePsaProject: { secrets: 'psa', tables: { idempotency: rw, crossReferences: rw, audit: append, exceptions: rw }, archive: true },
  AddPsaProjectPlan: { secrets: 'psa', tables: { idempotency: rw, crossReferences: rw, audit: append }, archive: true },
  ApplyPsaRateCard: { secrets: 'psa', tables: { idempotency: rw, crossReferences: rw, audit: append }, archive: true },
  CreateErpProject: { secrets: 'erp', tables: { idempotency: rw, crossReferences: rw, audit: append }, archive: true },
  WriteBackToCrm: { secrets: 'crm', tables: { idempotency: rw, crossReferences: rw, audit: append }, archive: true },
  PublishProjectActivated: { secrets: 'none', tables: { idempotency: rw, exceptions: rw, billingLedger: rw } },
  RecordException: { secrets: 'crm', tables: { exceptions: rw, audit: append, idempotency: rw }, archive: true },
  PollKantataApprovedWork: { secrets: 'psa', tables: { idempotency: rw } },
  HandleCertiniaChange: { secrets: 'none', tables: { idempotency: rw, exceptions: rw }, archive: true },
  RecordApprovedWork: { secrets: 'none', tables: { billingLedger: rw, exceptions: rw } },
  StartBillingRuns: { secrets: 'none', tables: { billingLedger: read } },
  StartBillingRun: { secrets: 'none', tables: {} },
  DraftInvoice: { secrets: 'none', tables: { billingLedger: rw } },
  PostInvoice: { secrets: 'erp', tables: { idempotency: rw, billingLedger: rw, audit: append }, archive: true },
  MarkPageBilled: { secrets: 'none', tables: { billingLedger: rw } },
  RecordInvoiceInPsa: { secrets: 'psa', tables: { idempotency: rw, billingLedger: rw, audit: append }, archive: true },
  WriteBillingHealthToCrm: { secrets: 'crm', tables: { idempotency: rw, billingLedger: read, audit: append }, archive: true },
  RecordBillingException: { secrets: 'none', tables: { exceptions: rw } },
  PollNetSuitePayments: { secrets: 'netsuite', tables: { idempotency: rw } },
  ReceiveBusinessCentralNotification: { secrets: 'business-central', tables: { exceptions: record }, archive: true },
  HandleBusinessCentralNotification: { secrets: 'business-central', tables: { idempotency: rw } },
  RenewBusinessCentralSubscriptions: { secrets: 'business-central', tables: { idempotency: rw } },
  RecordPaymentStatus: { secrets: 'crm+psa', tables: { idempotency: rw, billingLedger: read, audit: append }, archive: true },
  // Reconciliation: reads the ledger and the registry, repairs a PSA invoice (audited), keeps its report in the idempotency table.
  ReconcileBilling: {
    secrets: 'erp+psa',
    tables: { billingLedger: read, crossReferences: read, idempotency: rw, audit: append, exceptions: rw },
    archive: true,
  },
  // The ops API's function: the inbox (its index too), and the audit trail for every action. No secrets.
  RunOpsCommand: { secrets: 'none', tables: { exceptions: rw, audit: append }, indexes: { exceptions: rw }, archive: true },
  // Records executions that failed at a task: the exception only (the event carries the input; DescribeExecution when it does not).
  RecordFailedExecution: { secrets: 'none', tables: { exceptions: rw } },
  // Reads the inbox (its index) to publish the money at risk; writes nothing.
  PublishOperationsMetrics: { secrets: 'none', tables: { exceptions: read }, indexes: { exceptions: read } },
};

const { stacks, templates } = synthesizeDeployment(exampleConfig());

describe.each(stacks.map((s) => [s.region, s] as const))('least privilege in %s', (region, stack) => {
  const grants = functionGrants(stack, templates.get(region)!);

  it('knows every function of the template', () => {
    expect(Object.keys(grants).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('%s reads only the secrets of the instances it calls, and uses only the table actions its adapters call', (fn) => {
    const expected = EXPECTED[fn]!;
    expect(grants[fn]).toEqual({
      secrets: SECRETS[expected.secrets]![region as 'us-east-1' | 'eu-west-1'].map((s) => `ps-sync/demo/${s}`).sort(),
      tables: Object.fromEntries(Object.entries(expected.tables).map(([table, access]) => [table, [...ACTIONS[access]].sort()])),
      indexes: Object.fromEntries(Object.entries(expected.indexes ?? {}).map(([table, access]) => [table, [...ACTIONS[access]].sort()])),
      archive: expected.archive ? ['s3:PutObject'] : [],
      unexpected: [],
    });
  });
});

describe('the internet-facing functions', () => {
  it('may read no secret of another vendor, and only upsert an exception: never read, scan, batch-write or delete', () => {
    for (const stack of stacks) {
      const grants = functionGrants(stack, templates.get(stack.region)!);
      expect(grants.ReceiveHubSpotWebhook!.secrets.every((s) => s.endsWith('/hubspot-main'))).toBe(true);
      expect(grants.ReceiveBusinessCentralNotification!.secrets.every((s) => s.includes('/business-central-'))).toBe(true);
      for (const intake of ['ReceiveHubSpotWebhook', 'ReceiveBusinessCentralNotification'])
        expect(grants[intake]!.tables).toEqual({ exceptions: ['dynamodb:UpdateItem'] });
      const actions = Object.values(grants).flatMap((g) => Object.values(g.tables).flat());
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:BatchWriteItem');
    }
  });
});

describe('the payload archive', () => {
  it('is written by PutObject alone: no function may read, delete or lift the lock of an archived payload', () => {
    for (const stack of stacks) {
      const grants = Object.values(functionGrants(stack, templates.get(stack.region)!));
      expect(new Set(grants.flatMap((g) => g.archive))).toEqual(new Set(['s3:PutObject']));
      expect(grants.flatMap((g) => g.unexpected).filter((u) => u.startsWith('s3:'))).toEqual([]);
    }
  });
});

describe('the DLQs', () => {
  it.each(stacks.map((s) => [s.region, s] as const))(
    'in %s, only the ops function may work them: what its dlq commands call on every DLQ, and send to every work queue for the redrive',
    (region, stack) => {
      const grants = queueGrants(stack, templates.get(region)!);
      const workQueues = [...stack.workflows.values()].flatMap((w) => [...w.queues.keys()]);

      // The ops function uses no queue otherwise: these are all its SQS grants.
      expect(grants.RunOpsCommand).toEqual({
        queues: Object.fromEntries(
          workQueues.flatMap((q) => [
            [`${q}/dlq`, [...DEAD_LETTER_QUEUE_ACTIONS].sort()],
            [q, [...SOURCE_QUEUE_ACTIONS]],
          ]),
        ),
        unexpected: [],
      });
      for (const [fn, g] of Object.entries(grants).filter(([fn]) => fn !== 'RunOpsCommand')) {
        expect(
          Object.keys(g.queues).filter((q) => q.endsWith('/dlq')),
          fn,
        ).toEqual([]);
        expect(
          Object.values(g.queues)
            .flat()
            .filter((a) => /MessageMoveTask/.test(a)),
          fn,
        ).toEqual([]);
      }
    },
  );
});

describe('a parallel-run ERP', () => {
  it('is read by the reconciliation alone: no step that writes to the ERP may read its secret', () => {
    const input = exampleConfigInput();
    input.legalEntities.find((e) => e.id === 'acme-us')!.parallelRun = { erp: 'netsuite-eu' };
    const config = parseDeploymentConfig(input);
    const instancesOf = (fn: string, workflow: WorkflowDeclaration) =>
      secretInstancesOf(config, 'us-east-1', workflow.functions.find((f) => f.id === fn)!.uses.find((u) => u.kind === 'vendorSecrets')!).map((v) => v.id);

    expect(instancesOf('ReconcileBilling', reconciliation)).toEqual(['kantata-global', 'netsuite-us', 'netsuite-eu']);
    expect(instancesOf('PostInvoice', timeToInvoice)).toEqual(['netsuite-us']);
    expect(instancesOf('FindOrCreateErpCustomer', opportunityToProject)).toEqual(['netsuite-us']);
  });
});
