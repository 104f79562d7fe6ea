import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveBusinessCentralWebhook } from '../../business-central/notification-intake';
import { remediationFor } from '../../common/errors';
import { logger, metrics, publishMetrics } from '../../common/runtime';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { queueSender } from '../../wiring/queues';
import { vendorSecret } from '../../wiring/secrets';

const c = container('ReceiveBusinessCentralNotification');
const queues = queueSender(c);
const exceptions = exceptionRecorder(c);
const isBusinessCentralInstance = (id: string) => c.config.vendorInstances.some((v) => v.id === id && v.vendor === 'business-central');

/**
 * POST /webhooks/business-central/{instance}: the validation handshake, and notifications checked by
 * their clientState and enqueued for re-reading. Always 200 to a notification, as BC requires.
 */
export const handler = async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const correlationId = randomUUID();
  try {
    const response = await receiveBusinessCentralWebhook(request, {
      maxBodyBytes: c.env.maxWebhookBodyBytes,
      isBusinessCentralInstance,
      clientStates: async (id) => {
        const secret = await vendorSecret(id);
        return [secret.clientState, secret.previousClientState].filter((s): s is string => typeof s === 'string' && s !== '');
      },
      enqueue: (instance, notifications) =>
        queues.send(
          'BusinessCentralNotifications',
          notifications.map((notification) => ({ instance, notification, correlationId })),
        ),
      recordRejection: async (pathInstance, rejection) => {
        metrics.addMetric('BusinessCentralNotification-rejected', 'Count', 1);
        // The path is the caller's to choose: an unknown one is filed under one id, so made-up paths cannot flood the table.
        const instance = isBusinessCentralInstance(pathInstance) ? pathInstance : 'unknown-instance';
        // One open exception per instance and kind of reason: a flood of forged notifications is one item to look at, not thousands.
        const reasonKey = createHash('sha256').update(rejection.reason.replace(/\d+/g, '#')).digest('hex').slice(0, 16);
        await exceptions.record(
          {
            workflow: 'invoice-payment-status',
            entityType: 'business-central-notification',
            entityId: `${instance}:${reasonKey}`,
            reason: rejection.reason,
            remediation: remediationFor('invoice-payment-status', 'BusinessCentralNotificationRejected'),
            correlationId,
            source: { vendor: 'business-central', instance },
          },
          c.clock(),
        );
      },
    });
    logger.info('Business Central webhook answered', { statusCode: response.statusCode, correlationId });
    return response;
  } finally {
    publishMetrics();
  }
};
