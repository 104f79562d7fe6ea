import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { pollAgain } from '../../shared/polling/poll-and-publish';
import { vendorSecret } from '../../wiring/secrets';
import { publishPaymentsSince } from '../../invoice-payment-status/publish-payments';
import { businessCentral } from '../../wiring/business-central';
import { subscriptionPlan } from '../../business-central/notification-intake';
import { sqsConsumer } from '../../shared/sqs-consumer';

/** From the hourly schedule (`schedule`), a collection notification (`collection`), or a person (`manual`). */
const RenewalRequest = z.object({ instance: z.string().min(1), reason: z.string().min(1) });

/** Our notification URL for an instance, below the API's public base URL. */
export function notificationUrlOf(publicBaseUrl: string, instance: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/business-central/${instance}`;
}

/**
 * Keeps an instance's webhook subscriptions alive, then catches up on invoices changed since the last
 * run in case a notification was lost. Subscriptions: BC drops a subscription after three days, so each
 * run (hourly) renews ours when a day or less is left, and creates one that is missing (the first run
 * after a deploy, or after BC deleted it). Renewal and creation both make BC call our URL
 * with a validation token first.
 */
async function keepSubscribed(record: SQSRecord, context: Context): Promise<void> {
  const { instance, reason } = RenewalRequest.parse(JSON.parse(record.body));
  const config = deploymentConfig();
  const erp = businessCentral(instance);
  const companyId = config.vendorInstances.find((v) => v.id === instance)!.businessCentral!.companyId;
  const notificationUrl = notificationUrlOf(requiredEnvironment('WEBHOOK_PUBLIC_BASE_URL'), instance);
  const clientState = String((await vendorSecret(instance)).clientState ?? '');
  if (clientState === '') throw new Error(`The secret of ${instance} has no clientState; notifications could not be told from forgeries`);
  const existing = await erp.subscriptions();
  const plan = subscriptionPlan(existing, notificationUrl, [`api/v2.0/companies(${companyId})/salesInvoices`], new Date());
  for (const action of plan) {
    if (action.kind === 'create') await erp.subscribe(notificationUrl, action.resource, clientState);
    if (action.kind === 'renew') await erp.renew(existing.find((s) => s.subscriptionId === action.subscriptionId)!, clientState);
    metrics.addMetric(`BusinessCentralSubscription-${action.kind}`, 'Count', 1);
  }
  logger.info('Business Central subscriptions kept', { instance, reason, actions: plan.map((a) => ({ kind: a.kind, resource: a.resource, ...(a.kind === 'keep' ? { expiresAt: a.expiresAt } : {}) })) });
  // Notifications are not guaranteed: the hourly run also lists what changed, so nothing is missed.
  const caughtUp = await publishPaymentsSince(erp, { vendor: 'business-central', instance }, `renewal-${instance}-${record.messageId}`, () => context.getRemainingTimeInMillis());
  metrics.addMetric('Payments-published', 'Count', caughtUp.published);
  logger.info('Business Central invoices caught up', { instance, ...caughtUp });
  if (caughtUp.more) await pollAgain(requiredEnvironment('ERP_SUBSCRIPTION_RENEWALS_QUEUE_URL'), instance);
}

/** One instance per request (its schedule); a failure is redelivered, then dead-lettered and alarmed. */
export const handler = sqsConsumer(keepSubscribed);
