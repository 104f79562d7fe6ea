import type { WorkflowDeclaration } from './declarations';

/**
 * Invoice and payment status (docs/architecture.md): each NetSuite account serving the region is
 * polled on a schedule for invoices that changed; each Business Central environment notifies our
 * webhook, kept subscribed by a renewal job, and each notified invoice is re-read. Payments on our
 * invoices become `payment.received` events, which a rule delivers to the consumer that records them on
 * the PSA invoice and the CRM account.
 */
export const invoicePaymentStatus: WorkflowDeclaration = {
  workflow: 'invoice-payment-status',
  functions: [
    {
      id: 'PollNetSuitePayments',
      entry: 'lambdas/handlers/invoice-payment-status/poll-net-suite-payments.ts',
      description: 'Polls a NetSuite account for changed invoices and publishes payments on ours; the checkpoint moves only after publishing',
      timeoutSeconds: 300,
      uses: [
        { kind: 'vendorSecrets', vendors: ['netsuite'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'eventBus' },
        { kind: 'queue', queue: 'ErpPollRequests', access: 'send' },
      ],
    },
    {
      id: 'ReceiveBusinessCentralNotification',
      entry: 'lambdas/handlers/invoice-payment-status/receive-business-central-notification.ts',
      description: 'Answers the Business Central handshake, checks each notification by its clientState and enqueues it; 200 even to a rejected one',
      timeoutSeconds: 10,
      // Internet-facing: it may read Business Central secrets (the clientState) and no others.
      uses: [
        { kind: 'vendorSecrets', vendors: ['business-central'] },
        { kind: 'queue', queue: 'BusinessCentralNotifications', access: 'send' },
        { kind: 'table', table: 'exceptions', access: 'record' },
        { kind: 'exceptionQueue' },
        // The raw body of each request with authentic notifications, before they are enqueued.
        { kind: 'payloadArchive' },
      ],
    },
    {
      id: 'HandleBusinessCentralNotification',
      entry: 'lambdas/handlers/invoice-payment-status/handle-business-central-notification.ts',
      description: 'Re-reads each notified Business Central invoice and publishes payments on ours',
      timeoutSeconds: 60,
      uses: [
        { kind: 'vendorSecrets', vendors: ['business-central'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'eventBus' },
        { kind: 'queue', queue: 'ErpSubscriptionRenewals', access: 'send' },
      ],
    },
    {
      id: 'RenewBusinessCentralSubscriptions',
      entry: 'lambdas/handlers/invoice-payment-status/renew-business-central-subscriptions.ts',
      description: 'Creates or renews the Business Central webhook subscriptions before their three days run out, and catches up on changed invoices',
      timeoutSeconds: 300,
      uses: [
        { kind: 'vendorSecrets', vendors: ['business-central'] },
        { kind: 'webhookUrl' },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'eventBus' },
        { kind: 'queue', queue: 'ErpSubscriptionRenewals', access: 'send' },
      ],
    },
    {
      id: 'RecordPaymentStatus',
      entry: 'lambdas/handlers/invoice-payment-status/record-payment-status.ts',
      description: 'Records a payment on the PSA invoice and the billing health on the CRM account',
      timeoutSeconds: 60,
      uses: [
        { kind: 'vendorSecrets', roles: ['psa', 'crm'] },
        { kind: 'table', table: 'idempotency', access: 'readWrite' },
        { kind: 'table', table: 'billingLedger', access: 'read' },
        { kind: 'table', table: 'audit', access: 'append' },
      ],
    },
  ],
  queues: [
    // One poll at a time per request: a poll must not race its own checkpoint.
    { id: 'ErpPollRequests', description: 'Requests to poll an ERP account for payments', consumer: 'PollNetSuitePayments', batchSize: 1 },
    {
      id: 'BusinessCentralNotifications',
      description: 'Business Central notifications awaiting a re-read of what they name',
      consumer: 'HandleBusinessCentralNotification',
      batchSize: 10,
    },
    // One request at a time: a catch-up must not race its own checkpoint.
    {
      id: 'ErpSubscriptionRenewals',
      description: "Requests to keep an ERP environment's webhook subscriptions alive and catch up on changed invoices",
      consumer: 'RenewBusinessCentralSubscriptions',
      batchSize: 1,
    },
    { id: 'PaymentStatusUpdates', description: 'payment.received events awaiting the PSA and the CRM', consumer: 'RecordPaymentStatus', batchSize: 10 },
  ],
  routes: [{ method: 'POST', path: 'webhooks/business-central/{instance}', function: 'ReceiveBusinessCentralNotification' }],
  rules: [
    {
      id: 'PaymentReceivedRule',
      description: 'Every payment on our invoices goes to the PSA invoice and the CRM account',
      eventPattern: { 'detail-type': ['payment.received'] },
      targetQueue: 'PaymentStatusUpdates',
    },
  ],
  schedules: [
    {
      id: 'NetSuitePaymentPollSchedule',
      description: 'Polls each NetSuite account serving the region for payments',
      expression: 'rate(1 hour)',
      vendor: 'netsuite',
      instances: 'serving',
      targetQueue: 'ErpPollRequests',
    },
    // Hourly, renewing at a day left: a new deploy is subscribed within the hour, a subscription BC
    // dropped is back within the hour, and a renewal has 24 tries before the three days end.
    {
      id: 'BusinessCentralSubscriptionRenewal',
      description: 'Keeps each Business Central environment serving the region subscribed',
      expression: 'rate(1 hour)',
      vendor: 'business-central',
      instances: 'serving',
      targetQueue: 'ErpSubscriptionRenewals',
    },
  ],
  stateMachines: [],
};
