import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { notificationUrlOf, subscriptionPlan } from '../../business-central/notification-intake';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { publishPaymentsSince } from '../../invoice-payment-status/publish-payments';
import { container } from '../../wiring/container';
import { pollDependencies } from '../../wiring/polling';
import { queueSender } from '../../wiring/queues';
import { vendorSecret } from '../../wiring/secrets';
import { vendorPorts } from '../../wiring/vendor-ports';

// Subscription upkeep and catch-up reads write no business record: the read flow rule.
const c = container('RenewBusinessCentralSubscriptions', 'read');
const vendors = vendorPorts(c);
const queues = queueSender(c);
const polling = pollDependencies(c);

/** From the hourly schedule (`schedule`), a collection notification (`collection`), or a person (`manual`). */
const RenewalRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

/**
 * Keeps an instance's webhook subscriptions alive, then catches up on invoices changed since the last
 * run in case a notification was lost. Subscriptions: BC drops a subscription after three days, so each
 * run (hourly) renews ours when a day or less is left, and creates one that is missing (the first run
 * after a deploy, or after BC deleted it). Renewal and creation both make BC call our URL
 * with a validation token first.
 */
async function keepSubscribed(record: SQSRecord, context: Context, log: Logger): Promise<void> {
  const { instance, reason } = RenewalRequest.parse(JSON.parse(record.body));
  const correlationId = `renewal-${instance}-${record.messageId}`;
  log.appendKeys({ correlationId });
  const erp = vendors.businessCentral(instance);
  const companyId = c.config.vendorInstances.find((v) => v.id === instance)!.businessCentral!.companyId;
  const notificationUrl = notificationUrlOf(c.env.webhookPublicBaseUrl(), instance);
  const clientState = String((await vendorSecret(instance)).clientState ?? '');
  if (clientState === '') throw new Error(`The secret of ${instance} has no clientState; notifications could not be told from forgeries`);
  const existing = await erp.subscriptions();
  const plan = subscriptionPlan(existing, notificationUrl, [`api/v2.0/companies(${companyId})/salesInvoices`], c.clock());
  for (const action of plan) {
    if (action.kind === 'create') await erp.subscribe(notificationUrl, action.resource, clientState);
    if (action.kind === 'renew') await erp.renew(existing.find((s) => s.subscriptionId === action.subscriptionId)!, clientState);
    metrics.addMetric(`BusinessCentralSubscription-${action.kind}`, 'Count', 1);
  }
  log.info('Business Central subscriptions kept', {
    instance,
    reason,
    actions: plan.map((a) => ({ kind: a.kind, resource: a.resource, ...(a.kind === 'keep' ? { expiresAt: a.expiresAt } : {}) })),
  });
  // Notifications are not guaranteed: the hourly run also lists what changed, so nothing is missed.
  const caughtUp = await publishPaymentsSince(erp, { vendor: 'business-central', instance }, correlationId, () => context.getRemainingTimeInMillis(), polling);
  metrics.addMetric('Payments-published', 'Count', caughtUp.published);
  log.info('Business Central invoices caught up', { instance, ...caughtUp });
  if (caughtUp.more) await queues.pollAgain('ErpSubscriptionRenewals', instance);
}

/** One instance per request (its schedule); a failure is redelivered, then dead-lettered and alarmed. */
export const handler = sqsConsumer(keepSubscribed);
