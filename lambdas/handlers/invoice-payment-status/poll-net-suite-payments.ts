import { publishPaymentsSince } from '../../invoice-payment-status/publish-payments';
import { container } from '../../wiring/container';
import { pollConsumer } from '../../wiring/polling';

/** Polls one NetSuite account per request (its schedule) for payments on our invoices. */
export const handler = pollConsumer(container('PollNetSuitePayments', 'read'), {
  requestQueue: 'ErpPollRequests',
  name: 'netsuite-payments',
  metric: 'Payments-published',
  poll: ({ instance, correlationId, ports, timeLeftMs, dependencies }) =>
    publishPaymentsSince(ports.paymentsFor(instance), { vendor: 'netsuite', instance }, correlationId, timeLeftMs, dependencies),
});
