import type { SystemRole } from '../../canonical/systems';
import type { FunctionUse, WorkflowDeclaration } from './declarations';

const VENDOR_CALL_TIMEOUT = 60;

/** A billing step that writes to one system: its instances' secrets and the tables billing keeps. */
const vendorUses = (role: SystemRole): readonly FunctionUse[] => [
  { kind: 'vendorSecrets', roles: [role] },
  { kind: 'table', table: 'idempotency', access: 'readWrite' },
  { kind: 'table', table: 'billingLedger', access: 'readWrite' },
  { kind: 'table', table: 'audit', access: 'append' },
];

/**
 * Time and expenses to invoice (docs/architecture.md): Kantata is polled on a schedule for approved
 * time and expenses, and Certinia's timecard, expense and milestone changes arrive through Event Relay;
 * both become canonical events; a rule records them in the billing ledger; at month end one execution
 * per contract and period drafts the invoice with the billing engine, posts it to the ERP, marks the
 * work billed page by page and records the invoice in the PSA.
 */
export const timeToInvoice: WorkflowDeclaration = {
  workflow: 'time-to-invoice',
  functions: [
    {
      id: 'PollKantataApprovedWork',
      entry: 'lambdas/handlers/time-to-invoice/poll-kantata-approved-work.ts',
      description: 'Polls a Kantata instance for approved time and expenses and publishes them; the checkpoint moves only after publishing',
      timeoutSeconds: 300,
      uses: [
        { kind: 'vendorSecrets', vendors: ['kantata'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'eventBus' },
        // Its own request queue too: a backlog larger than one invocation asks for the next poll at once.
        { kind: 'queue', queue: 'PsaPollRequests', access: 'send' },
      ],
    },
    {
      id: 'HandleCertiniaChange',
      entry: 'lambdas/handlers/time-to-invoice/handle-certinia-change.ts',
      description: 'Re-reads relayed Certinia timecard, expense and milestone changes and publishes approved work once per version',
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: [
        // Its own queue: a record whose duplicate is in progress, or whose read was throttled, goes back to it, delayed.
        { kind: 'queue', queue: 'CertiniaChanges', access: 'send' },
        { kind: 'vendorSecrets', vendors: ['certinia'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'eventBus' },
        // A malformed relayed change is refused and recorded as an exception, never acted on.
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
        // Each relayed event as received, before it is judged.
        { kind: 'payloadArchive' },
      ],
    },
    {
      id: 'RecordApprovedWork',
      entry: 'lambdas/handlers/time-to-invoice/record-approved-work.ts',
      description: 'Records approved time and expenses in the billing ledger, once per version',
      timeoutSeconds: 30,
      uses: [
        { kind: 'table', table: 'billingLedger', access: 'readWrite' },
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
      ],
    },
    {
      id: 'StartBillingRuns',
      entry: 'lambdas/handlers/time-to-invoice/start-billing-runs.ts',
      description: 'Fans a month out into one start message per contract',
      timeoutSeconds: 300,
      uses: [
        { kind: 'table', table: 'billingLedger', access: 'read' },
        { kind: 'queue', queue: 'BillingRunStarts', access: 'send' },
      ],
    },
    {
      id: 'StartBillingRun',
      entry: 'lambdas/handlers/time-to-invoice/start-billing-run.ts',
      description: 'Starts one billing execution per contract and period under its deterministic name, while the region runs fewer than its maximum',
      timeoutSeconds: 30,
      uses: [
        { kind: 'stateMachine', stateMachine: 'TimeToInvoice', access: 'startAndCount' },
        { kind: 'queue', queue: 'BillingRunStarts', access: 'send' },
      ],
    },
    {
      id: 'DraftInvoice',
      entry: 'lambdas/handlers/time-to-invoice/draft-invoice.ts',
      description: "Rates the period's unbilled work with the contract's rate card and saves the draft once",
      timeoutSeconds: 120,
      memoryMb: 1024,
      uses: [{ kind: 'table', table: 'billingLedger', access: 'readWrite' }],
    },
    {
      id: 'PostInvoice',
      entry: 'lambdas/handlers/time-to-invoice/post-invoice.ts',
      description: 'Posts the invoice to the ERP by external id and reads back number and tax',
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: vendorUses('erp'),
    },
    {
      id: 'MarkPageBilled',
      entry: 'lambdas/handlers/time-to-invoice/mark-page-billed.ts',
      description: "Marks one page of the invoice's work billed in the ledger",
      timeoutSeconds: 120,
      uses: [{ kind: 'table', table: 'billingLedger', access: 'readWrite' }],
    },
    {
      id: 'RecordInvoiceInPsa',
      entry: 'lambdas/handlers/time-to-invoice/record-invoice-in-psa.ts',
      description: 'Marks the work invoiced in the PSA with the ERP number, tax and total, and publishes invoice.posted',
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: [...vendorUses('psa'), { kind: 'eventBus' }],
    },
    {
      id: 'WriteBillingHealthToCrm',
      entry: 'lambdas/handlers/time-to-invoice/write-billing-health-to-crm.ts',
      description: "Writes each posted invoice's number, date, total and status to the customer's CRM account",
      timeoutSeconds: VENDOR_CALL_TIMEOUT,
      uses: [
        { kind: 'vendorSecrets', roles: ['crm'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'billingLedger', access: 'read' },
        { kind: 'table', table: 'audit', access: 'append' },
      ],
    },
    {
      id: 'RecordBillingException',
      entry: 'lambdas/handlers/time-to-invoice/record-billing-exception.ts',
      description: 'Records a failed billing run durably and announces it',
      timeoutSeconds: 30,
      uses: [{ kind: 'table', table: 'exceptions', access: 'readWrite' }, { kind: 'exceptionQueue' }],
    },
  ],
  queues: [
    // One poll at a time per request: a poll must not race its own checkpoint.
    { id: 'PsaPollRequests', description: 'Requests to poll a PSA instance for approved work', consumer: 'PollKantataApprovedWork', batchSize: 1 },
    {
      id: 'CertiniaChanges',
      description: 'Certinia timecard, expense and milestone changes relayed by Event Relay',
      consumer: 'HandleCertiniaChange',
      batchSize: 10,
    },
    {
      id: 'ApprovedWorkToLedger',
      description: 'time.approved, expense.approved and milestone.completed events awaiting the billing ledger',
      consumer: 'RecordApprovedWork',
      batchSize: 10,
    },
    { id: 'InvoiceStatusToCrm', description: 'invoice.posted events awaiting the CRM account', consumer: 'WriteBillingHealthToCrm', batchSize: 10 },
    { id: 'BillingRunRequests', description: 'Requests to bill a month (the month-end schedule, or by hand)', consumer: 'StartBillingRuns', batchSize: 1 },
    // Two consumers at most, so the count of running executions each admits against is nearly current.
    {
      id: 'BillingRunStarts',
      description: 'One message per contract and period awaiting its execution (or its turn)',
      consumer: 'StartBillingRun',
      batchSize: 10,
      maxConcurrency: 2,
    },
  ],
  routes: [],
  rules: [
    {
      id: 'ApprovedWorkRule',
      description: 'Every approved time entry and expense, and every milestone completion, is recorded in the billing ledger',
      eventPattern: { 'detail-type': ['time.approved', 'expense.approved', 'milestone.completed'] },
      targetQueue: 'ApprovedWorkToLedger',
    },
    {
      id: 'InvoicePostedRule',
      description: 'Every posted invoice is reported to the CRM account of its customer',
      eventPattern: { 'detail-type': ['invoice.posted'] },
      targetQueue: 'InvoiceStatusToCrm',
    },
  ],
  relayRules: [
    {
      id: 'CertiniaApprovedWorkChanges',
      description: 'Change Data Capture of Certinia timecards, expenses and milestones, as Event Relay delivers it',
      vendor: 'certinia',
      events: 'change-events',
      eventPattern: { 'detail-type': ['pse__Timecard_Header__ChangeEvent', 'pse__Expense__ChangeEvent', 'pse__Milestone__ChangeEvent'] },
      targetQueue: 'CertiniaChanges',
    },
  ],
  schedules: [
    {
      id: 'KantataPollSchedule',
      description: 'Polls each Kantata instance serving the region for approved work',
      expression: 'rate(15 minutes)',
      vendor: 'kantata',
      instances: 'serving',
      targetQueue: 'PsaPollRequests',
    },
    {
      id: 'MonthEndBilling',
      description: 'Bills the month just ended, on the first of the month',
      expression: 'cron(0 6 1 * ? *)',
      targetQueue: 'BillingRunRequests',
    },
  ],
  stateMachines: [
    {
      id: 'TimeToInvoice',
      definitionFile: 'state-machines/time-to-invoice.asl.json',
      tasks: {
        DraftInvoiceArn: 'DraftInvoice',
        PostInvoiceArn: 'PostInvoice',
        MarkPageBilledArn: 'MarkPageBilled',
        RecordInvoiceInPsaArn: 'RecordInvoiceInPsa',
        RecordBillingExceptionArn: 'RecordBillingException',
      },
      timeoutSeconds: 21600,
    },
  ],
};
