import type { WorkflowDeclaration } from './declarations';

/**
 * Invoice and payment status (PRODUCT.md workflow 4): each NetSuite account serving the region is
 * polled on a schedule for invoices that changed; payments on our invoices become `payment.received`
 * events, which a rule delivers to the consumer that records them on the PSA invoice and the CRM account.
 */
export const invoicePaymentStatus: WorkflowDeclaration = {
  workflow: 'invoice-payment-status',
  functions: [
    {
      id: 'PollNetSuitePayments',
      entry: 'lambdas/netsuite/poll-payments.ts',
      description: 'Polls a NetSuite account for changed invoices and publishes payments on ours; the checkpoint moves only after publishing',
      timeoutSeconds: 300,
      uses: [{ kind: 'vendorSecrets' }, { kind: 'table', table: 'idempotency', access: 'readWrite' }, { kind: 'eventBus' }],
    },
    {
      id: 'RecordPaymentStatus',
      entry: 'lambdas/time-to-invoice/record-payment.ts',
      description: 'Records a payment on the PSA invoice and the billing health on the CRM account',
      timeoutSeconds: 60,
      uses: [{ kind: 'vendorSecrets' }, { kind: 'table', table: 'billingLedger', access: 'read' }, { kind: 'table', table: 'audit', access: 'append' }],
    },
  ],
  queues: [
    // One poll at a time per request: a poll must not race its own checkpoint.
    { id: 'ErpPollRequests', description: 'Requests to poll an ERP account for payments', consumer: 'PollNetSuitePayments', batchSize: 1 },
    { id: 'PaymentStatusUpdates', description: 'payment.received events awaiting the PSA and the CRM', consumer: 'RecordPaymentStatus', batchSize: 10 },
  ],
  routes: [],
  rules: [{ id: 'PaymentReceivedRule', description: 'Every payment on our invoices goes to the PSA invoice and the CRM account', eventPattern: { 'detail-type': ['payment.received'] }, targetQueue: 'PaymentStatusUpdates' }],
  schedules: [{ id: 'NetSuitePaymentPollSchedule', description: 'Polls each NetSuite account serving the region for payments', expression: 'rate(1 hour)', vendor: 'netsuite', instances: 'serving', targetQueue: 'ErpPollRequests' }],
  stateMachines: [],
};
