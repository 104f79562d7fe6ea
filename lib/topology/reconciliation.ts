import type { WorkflowDeclaration } from './declarations';

/**
 * Reconciliation of PSA billing against ERP postings (docs/operations.md#reconciliation): every day, per
 * legal entity of the region and for the month before and the current one, the billing ledger's posted
 * invoices are compared with the ERP's invoices of the month, the PSA's and the cross-reference
 * registry's links of them. An invoice the PSA lacks is recorded there from the ledger (once); every
 * other finding is an exception in the inbox; the report is kept per legal entity and month, and the ops
 * API runs one on demand and reads it back.
 */
export const reconciliation: WorkflowDeclaration = {
  workflow: 'reconciliation',
  functions: [
    {
      id: 'ReconcileBilling',
      entry: 'lambdas/handlers/reconciliation/reconcile-billing.ts',
      description: 'Reconciles the billing ledger, ERP invoices, PSA invoices and registry links per legal entity and month; repairs an invoice the PSA lacks',
      timeoutSeconds: 300,
      uses: [
        // Its repairs write to the PSA: the sync flow rule, with the limiter's slots and the audit trail.
        // And the parallel-run ERPs, whose invoices it compares with the primary's (read only).
        { kind: 'vendorSecrets', roles: ['erp', 'psa'], parallelRun: true },
        { kind: 'table', table: 'billingLedger', access: 'read' },
        { kind: 'table', table: 'crossReferences', access: 'read' },
        // The limiter's slots, and the reports (`reconciliation-report#<legal entity>#<yyyy-mm>`).
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'audit', access: 'append' },
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
      ],
    },
  ],
  queues: [
    // One request at a time: two runs of one entity and month must not repair the same invoice at once.
    {
      id: 'ReconciliationRequests',
      description: 'Requests to reconcile billing: from the daily schedule (every legal entity, two months) or for one legal entity and month',
      consumer: 'ReconcileBilling',
      batchSize: 1,
      maxConcurrency: 2,
    },
  ],
  // The ops API's `reconcile run|report` (IAM-authorized): a run answered with its report, and the stored report.
  routes: [
    { api: 'operations', method: 'POST', path: 'ops/reconciliations/{legalEntity}/{period}', function: 'ReconcileBilling' },
    { api: 'operations', method: 'GET', path: 'ops/reconciliations/{legalEntity}/{period}', function: 'ReconcileBilling' },
  ],
  rules: [],
  schedules: [
    {
      id: 'DailyBillingReconciliation',
      description: 'Reconciles billing of every legal entity of the region, the month before and the current one',
      expression: 'cron(0 5 * * ? *)',
      targetQueue: 'ReconciliationRequests',
    },
  ],
  stateMachines: [],
};
