import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { documents } from '../../shared/clients/dynamodb';
import { sqs } from '../../shared/clients/sqs';
import { DurableExceptionRecorder } from '../../shared/exceptions';
import { sendAll } from '../../shared/queue';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { receiveBusinessCentralWebhook } from '../../business-central/notification-intake';

const isBusinessCentralInstance = (id: string) => deploymentConfig().vendorInstances.some((v) => v.id === id && v.vendor === 'business-central');
const exceptions = new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL'));

/**
 * POST /webhooks/business-central/{instance}: the validation handshake, and notifications checked by
 * their clientState and enqueued for re-reading. Always 200 to a notification, as BC requires.
 */
export const handler = async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const correlationId = randomUUID();
  try {
    const response = await receiveBusinessCentralWebhook(request, {
      maxBodyBytes: Number(requiredEnvironment('WEBHOOK_MAX_BODY_BYTES')),
      isBusinessCentralInstance,
      clientStates: async (id) => {
        const secret = await vendorSecret(id);
        return [secret.clientState, secret.previousClientState].filter((s): s is string => typeof s === 'string' && s !== '');
      },
      enqueue: (instance, notifications) => sendAll(sqs(), requiredEnvironment('BUSINESS_CENTRAL_NOTIFICATIONS_QUEUE_URL'), notifications.map((notification) => ({ instance, notification, correlationId }))),
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
            remediation: 'Answered 200 so Business Central keeps the subscription; nothing was processed. A wrong clientState means the subscription was made with another secret, or the request is not from BC: check the instance secret and the subscriptions (the renewal job recreates ours).',
            correlationId,
            source: { vendor: 'business-central', instance },
          },
          new Date(),
        );
      },
    });
    logger.info('Business Central webhook answered', { statusCode: response.statusCode, correlationId });
    return response;
  } finally {
    metrics.publishStoredMetrics();
  }
};
