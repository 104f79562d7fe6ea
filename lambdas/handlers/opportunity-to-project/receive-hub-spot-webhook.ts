import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DurableExceptionRecorder } from '../../shared/exceptions';
import { sendAll } from '../../shared/queue';
import { documents } from '../../shared/clients/dynamodb';
import { sqs } from '../../shared/clients/sqs';
import { deploymentConfig, logger, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { receiveHubSpotWebhook } from '../../hubspot/webhook-intake';

const exceptions = new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL'));

/** POST /webhooks/hubspot/{instance}: verifies, splits and enqueues a HubSpot webhook batch. */
export const handler = async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const response = await receiveHubSpotWebhook(request, {
    nowMs: Date.now,
    maxBodyBytes: Number(requiredEnvironment('WEBHOOK_MAX_BODY_BYTES')),
    publicBaseUrl: requiredEnvironment('WEBHOOK_PUBLIC_BASE_URL'),
    isHubSpotInstance: (id) => deploymentConfig().vendorInstances.some((v) => v.id === id && v.vendor === 'hubspot'),
    clientSecrets: async (id) => {
      const secret = await vendorSecret(id);
      return [secret.clientSecret, secret.previousClientSecret].filter((s): s is string => typeof s === 'string' && s !== '');
    },
    enqueue: (events) => sendAll(sqs(), requiredEnvironment('HUBSPOT_DEAL_EVENTS_QUEUE_URL'), events),
    recordRejectedEvent: async (instance, rejected, correlationId) => {
      await exceptions.record(
        {
          workflow: 'opportunity-to-project',
          entityType: 'opportunity',
          entityId: `hubspot:${instance}:${String(rejected.objectId ?? 'unknown')}`,
          reason: rejected.reason,
          remediation: 'Check the HubSpot app webhook subscriptions; the event was not processed. Re-save the deal in HubSpot to send it again.',
          correlationId,
          source: { vendor: 'hubspot', instance },
        },
        new Date(),
      );
    },
    newCorrelationId: randomUUID,
  });
  logger.info('HubSpot webhook answered', { statusCode: response.statusCode, correlationId: response.headers?.['x-correlation-id'] });
  return response;
};
