import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveHubSpotWebhook } from '../../hubspot/webhook-intake';
import { remediationFor } from '../../shared/errors';
import { logger } from '../../shared/runtime';
import { wiring } from '../../wiring/wiring';

const w = wiring('ReceiveHubSpotWebhook');

/** POST /webhooks/hubspot/{instance}: verifies, splits and enqueues a HubSpot webhook batch. */
export const handler = async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const response = await receiveHubSpotWebhook(request, {
    nowMs: Date.now,
    maxBodyBytes: w.env.maxWebhookBodyBytes,
    publicBaseUrl: w.env.webhookPublicBaseUrl(),
    isHubSpotInstance: (id) => w.config.vendorInstances.some((v) => v.id === id && v.vendor === 'hubspot'),
    clientSecrets: async (id) => {
      const secret = await w.secrets(id);
      return [secret.clientSecret, secret.previousClientSecret].filter((s): s is string => typeof s === 'string' && s !== '');
    },
    enqueue: (events) => w.send('HubspotDealEvents', events),
    recordRejectedEvent: async (instance, rejected, correlationId) => {
      await w.exceptions().record(
        {
          workflow: 'opportunity-to-project',
          entityType: 'opportunity',
          entityId: `hubspot:${instance}:${String(rejected.objectId ?? 'unknown')}`,
          reason: rejected.reason,
          remediation: remediationFor('opportunity-to-project', 'HubSpotEventRejected'),
          correlationId,
          source: { vendor: 'hubspot', instance },
        },
        w.clock(),
      );
    },
    newCorrelationId: randomUUID,
  });
  logger.info('HubSpot webhook answered', { statusCode: response.statusCode, correlationId: response.headers?.['x-correlation-id'] });
  return response;
};
