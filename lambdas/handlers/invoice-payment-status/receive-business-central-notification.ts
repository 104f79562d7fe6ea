import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveBusinessCentralWebhook } from '../../business-central/notification-intake';
import { apiHandler } from '../../common/api-handler';
import { rawBodyOf } from '../../common/payload-archive';
import { logger, metrics, publishMetrics } from '../../common/runtime';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { inboundArchiver } from '../../wiring/payload-archive';
import { queueSender } from '../../wiring/queues';
import { vendorSecret } from '../../wiring/secrets';

const c = container('ReceiveBusinessCentralNotification');
const queues = queueSender(c);
const exceptions = exceptionRecorder(c);
const archiveRawBody = inboundArchiver(c, 'webhook');

/**
 * POST /webhooks/business-central/{instance}: the validation handshake, and notifications checked by
 * their clientState, archived as received and enqueued for re-reading. Always 200 to a notification, as BC requires.
 */
export const handler = apiHandler(async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const correlationId = randomUUID();
  try {
    const response = await receiveBusinessCentralWebhook(request, {
      maxBodyBytes: c.env.maxWebhookBodyBytes,
      correlationId,
      isBusinessCentralInstance: (id) => c.config.vendorInstances.some((v) => v.id === id && v.vendor === 'business-central'),
      clientStates: async (id) => {
        const secret = await vendorSecret(id);
        return [secret.clientState, secret.previousClientState].filter((s): s is string => typeof s === 'string' && s !== '');
      },
      // The body with authentic notifications is archived as received before they are enqueued: no archive, 503.
      enqueue: async (instance, notifications) => {
        await archiveRawBody(rawBodyOf(request), { vendor: 'business-central', instance, correlationId, receivedAt: c.clock() }, logger, 'application/json');
        await queues.send(
          'BusinessCentralNotifications',
          notifications.map((notification) => ({ instance, notification, correlationId })),
        );
      },
      recordRejection: async (exception) => {
        metrics.addMetric('BusinessCentralNotification-rejected', 'Count', 1);
        await exceptions.record(exception, c.clock());
      },
    });
    logger.info('Business Central webhook answered', { statusCode: response.statusCode, correlationId });
    return response;
  } finally {
    publishMetrics();
  }
});
