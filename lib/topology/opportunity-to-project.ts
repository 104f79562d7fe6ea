import { dealWonEventOf } from '../../canonical/deployment-config';
import type { WorkflowDeclaration } from './declarations';

const VENDOR_CALL_TIMEOUT = 60;

/**
 * Opportunity to project (docs/architecture.md): a HubSpot webhook, or a Salesforce change relayed
 * by Event Relay onto a partner bus, becomes a canonical `opportunity.won` event; a reconciliation
 * job (on a schedule, and on GAP_OVERFLOW) finds won Salesforce deals whose event never arrived; a rule delivers it to the start queue; the
 * starter runs the state machine under a deterministic execution name; the state machine creates the
 * ERP customer, the PSA project and the ERP project, writes the ids back to the CRM and announces
 * `project.activated`.
 */
export const opportunityToProject: WorkflowDeclaration = {
  workflow: 'opportunity-to-project',
  functions: [
    {
      id: 'ReceiveHubSpotWebhook',
      entry: 'lambdas/handlers/opportunity-to-project/receive-hub-spot-webhook.ts',
      description: 'Verifies HubSpot v3 signatures and enqueues each deal event of a batch',
      timeoutSeconds: 10,
      uses: [
        { kind: 'queue', queue: 'HubspotDealEvents', access: 'send' },
        { kind: 'table', table: 'exceptions', access: 'record' },
        { kind: 'exceptionQueue' },
        { kind: 'vendorSecrets', vendors: ['hubspot'] },
        // The raw body of each authentic batch, before its events are enqueued.
        { kind: 'payloadArchive' },
      ],
    },
    {
      id: 'HandleHubSpotDealEvent',
      entry: 'lambdas/handlers/opportunity-to-project/handle-hub-spot-deal-event.ts',
      description: 'Deduplicates deal events, re-reads won deals and publishes opportunity.won',
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: [
        // Its own queue: a record whose duplicate is in progress goes back to it, delayed a few seconds.
        { kind: 'queue', queue: 'HubspotDealEvents', access: 'send' },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'crossReferences', access: 'readWrite' },
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
        { kind: 'eventBus' },
        { kind: 'vendorSecrets', vendors: ['hubspot'] },
      ],
    },
    {
      id: 'HandleSalesforceOpportunityEvent',
      entry: 'lambdas/handlers/opportunity-to-project/handle-salesforce-opportunity-event.ts',
      description: 'Judges relayed Salesforce opportunity changes: drops echoes and stale commits, re-reads, publishes opportunity.won',
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: [
        // Its own queue: a record whose duplicate is in progress goes back to it, delayed a few seconds.
        { kind: 'queue', queue: 'SalesforceOpportunityEvents', access: 'send' },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'crossReferences', access: 'readWrite' },
        { kind: 'table', table: 'audit', access: 'read' },
        { kind: 'queue', queue: 'DealReconciliationRequests', access: 'send' },
        { kind: 'eventBus' },
        // A malformed relayed change is refused and recorded as an exception, never acted on.
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
        { kind: 'vendorSecrets', vendors: ['salesforce'] },
        // Each relayed event as received, before it is judged.
        { kind: 'payloadArchive' },
      ],
    },
    {
      id: 'ReconcileWonDeals',
      entry: 'lambdas/handlers/opportunity-to-project/reconcile-won-deals.ts',
      description: 'Finds won Salesforce deals the registry does not know since the checkpoint and publishes them again',
      timeoutSeconds: 300,
      uses: [
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'crossReferences', access: 'read' },
        { kind: 'eventBus' },
        { kind: 'vendorSecrets', vendors: ['salesforce'] },
      ],
    },
    {
      id: 'StartOpportunityToProject',
      entry: 'lambdas/handlers/opportunity-to-project/start-opportunity-to-project.ts',
      description: 'Starts one execution per opportunity revision under a deterministic name',
      timeoutSeconds: 10,
      uses: [{ kind: 'stateMachine', stateMachine: 'OpportunityToProject' }],
    },
    ...(
      [
        ['ValidateOpportunity', 'validate-opportunity', 'Checks routing, flow switches, currency, tax profile and billing terms', []],
        [
          'ClaimDealRevision',
          'claim-deal-revision',
          "Claims the deal's revision for its project before any write, so an older revision arriving late writes nothing",
          [{ kind: 'table', table: 'crossReferences', access: 'readWrite' }],
        ],
        ['FindOrCreateErpCustomer', 'find-or-create-erp-customer', 'Upserts the ERP customer by external id', 'erp'],
        [
          'CreatePsaProject',
          'create-psa-project',
          "Creates the PSA project with its external reference, claimed in the registry before the call; applies a later revision's changes the CRM owns and records those it does not",
          'psa+exceptions',
        ],
        ['AddPsaProjectPlan', 'add-psa-project-plan', 'Adds the tasks and milestones the PSA project lacks, resuming from its write journal', 'psa'],
        ['ApplyPsaRateCard', 'apply-psa-rate-card', 'Gives the PSA project the contract rate card, resuming from its write journal', 'psa'],
        ['CreateErpProject', 'create-erp-project', 'Upserts the ERP project under its customer', 'erp'],
        ['WriteBackToCrm', 'write-back-to-crm', 'Writes ERP and PSA ids and the sync status to the CRM record', 'crm'],
        [
          'PublishProjectActivated',
          'publish-project-activated',
          'Records the contract for billing, publishes project.activated and closes the open exception of the deal',
          [
            { kind: 'eventBus' },
            { kind: 'table', table: 'idempotency', access: 'readWrite' },
            { kind: 'table', table: 'exceptions', access: 'readWrite' },
            { kind: 'table', table: 'billingLedger', access: 'readWrite' },
            { kind: 'exceptionQueue' },
          ],
        ],
        [
          'RecordException',
          'record-exception',
          'Records a business exception durably, announces it and marks the CRM record as needing attention',
          [
            { kind: 'table', table: 'exceptions', access: 'readWrite' },
            { kind: 'exceptionQueue' },
            { kind: 'vendorSecrets', roles: ['crm'] },
            { kind: 'table', table: 'audit', access: 'append' },
            { kind: 'table', table: 'idempotency', access: 'readWrite' },
          ],
        ],
      ] as const
    ).map(([id, file, description, uses]) => ({
      id,
      entry: `lambdas/handlers/opportunity-to-project/${file}.ts`,
      description,
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses:
        typeof uses === 'string'
          ? [
              // The secrets of the one system the step writes to.
              { kind: 'vendorSecrets' as const, roles: [uses === 'psa+exceptions' ? ('psa' as const) : uses] },
              { kind: 'table' as const, table: 'idempotency' as const, access: 'readWrite' as const },
              { kind: 'table' as const, table: 'crossReferences' as const, access: 'readWrite' as const },
              { kind: 'table' as const, table: 'audit' as const, access: 'append' as const },
              ...(uses === 'psa+exceptions'
                ? [{ kind: 'table' as const, table: 'exceptions' as const, access: 'readWrite' as const }, { kind: 'exceptionQueue' as const }]
                : []),
            ]
          : uses,
    })),
  ],
  queues: [
    { id: 'HubspotDealEvents', description: 'Verified HubSpot deal events awaiting dedup and re-read', consumer: 'HandleHubSpotDealEvent', batchSize: 10 },
    { id: 'OpportunityWonStarts', description: 'opportunity.won events awaiting an execution', consumer: 'StartOpportunityToProject', batchSize: 10 },
    {
      id: 'SalesforceOpportunityEvents',
      description: 'Salesforce opportunity changes and won-deal platform events relayed by Event Relay',
      consumer: 'HandleSalesforceOpportunityEvent',
      batchSize: 10,
    },
    // One request at a time: a reconciliation pages through a CRM query and must not race its own checkpoint.
    {
      id: 'DealReconciliationRequests',
      description: 'Requests to reconcile won deals of a CRM instance (schedule, GAP_OVERFLOW)',
      consumer: 'ReconcileWonDeals',
      batchSize: 1,
    },
  ],
  routes: [{ method: 'POST', path: 'webhooks/hubspot/{instance}', function: 'ReceiveHubSpotWebhook' }],
  rules: [
    {
      id: 'OpportunityWonToStarts',
      description: 'Every canonical opportunity.won event starts (or re-finds) its execution',
      eventPattern: { 'detail-type': ['opportunity.won'] },
      targetQueue: 'OpportunityWonStarts',
    },
  ],
  relayRules: [
    {
      id: 'SalesforceOpportunityChanges',
      description: 'Opportunity Change Data Capture, as Event Relay delivers it from a change-event channel',
      vendor: 'salesforce',
      events: 'change-events',
      eventPattern: { 'detail-type': ['OpportunityChangeEvent'] },
      targetQueue: 'SalesforceOpportunityEvents',
    },
    // Platform events travel on a channel of their own, so a relay and partner bus of their own.
    {
      id: 'SalesforceDealWonEvents',
      description: "The org's won-deal platform event (crm.dealWonEvent), as Event Relay delivers it from a platform-event channel",
      vendor: 'salesforce',
      events: 'platform-events',
      eventPattern: (instance) => ({ 'detail-type': [dealWonEventOf(instance.crm).apiName] }),
      targetQueue: 'SalesforceOpportunityEvents',
    },
  ],
  schedules: [
    {
      id: 'ReconcileWonDealsSchedule',
      description: 'Reconciles won deals of each relayed CRM instance, catching events a relay lost',
      expression: 'rate(1 hour)',
      vendor: 'salesforce',
      targetQueue: 'DealReconciliationRequests',
    },
  ],
  stateMachines: [
    {
      id: 'OpportunityToProject',
      definitionFile: 'state-machines/opportunity-to-project.asl.json',
      tasks: {
        ValidateOpportunityArn: 'ValidateOpportunity',
        ClaimDealRevisionArn: 'ClaimDealRevision',
        FindOrCreateErpCustomerArn: 'FindOrCreateErpCustomer',
        CreatePsaProjectArn: 'CreatePsaProject',
        AddPsaProjectPlanArn: 'AddPsaProjectPlan',
        ApplyPsaRateCardArn: 'ApplyPsaRateCard',
        CreateErpProjectArn: 'CreateErpProject',
        WriteBackToCrmArn: 'WriteBackToCrm',
        PublishProjectActivatedArn: 'PublishProjectActivated',
        RecordExceptionArn: 'RecordException',
      },
      timeoutSeconds: 3600,
    },
  ],
};
