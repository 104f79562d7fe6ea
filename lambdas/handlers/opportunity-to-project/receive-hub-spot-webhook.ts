import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiHandler } from '../../common/api-handler';
import { remediationFor } from '../../common/errors';
import { rawBodyOf } from '../../common/payload-archive';
import { logger } from '../../common/runtime';
import { receiveHubSpotWebhook } from '../../hubspot/webhook-intake';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { inboundArchiver } from '../../wiring/payload-archive';
import { queueSender } from '../../wiring/queues';
import { vendorSecret } from '../../wiring/secrets';

const c = container('ReceiveHubSpotWebhook');
const queues = queueSender(c);
const exceptions = exceptionRecorder(c);
const archiveRawBody = inboundArchiver(c, 'webhook');

/** Records a refusal of a batch's events (one item per instance and kind, counted) with one warning line. */
const recordRefused = (message: string) => async (exception: Parameters<typeof exceptions.record>[0]) => {
  logger.warn(message, { instance: exception.source.instance, reason: exception.reason, correlationId: exception.correlationId });
  await exceptions.record(exception, c.clock());
};

/** POST /webhooks/hubspot/{instance}: verifies, archives, splits and enqueues a HubSpot webhook batch. */
export const handler = apiHandler(async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const response = await receiveHubSpotWebhook(request, {
    nowMs: Date.now,
    maxBodyBytes: c.env.maxWebhookBodyBytes,
    publicBaseUrl: c.env.webhookPublicBaseUrl(),
    portalIdOf: (id) => c.config.vendorInstances.find((v) => v.id === id && v.vendor === 'hubspot')?.portalId,
    clientSecrets: async (id) => {
      const secret = await vendorSecret(id);
      return [secret.clientSecret, secret.previousClientSecret].filter((s): s is string => typeof s === 'string' && s !== '');
    },
    // The authentic body is archived as received before its events are enqueued: no archive, no 2xx.
    enqueue: async (events) => {
      const [first] = events;
      if (first !== undefined)
        await archiveRawBody(
          rawBodyOf(request),
          { vendor: 'hubspot', instance: first.instance, correlationId: first.correlationId, receivedAt: new Date(first.receivedAt) },
          logger,
          'application/json',
        );
      await queues.send('HubspotDealEvents', events);
    },
    recordRejectedEvent: async (instance, rejected, correlationId) => {
      await exceptions.record(
        {
          workflow: 'opportunity-to-project',
          entityType: 'opportunity',
          entityId: `hubspot:${instance}:${String(rejected.objectId ?? 'unknown')}`,
          reason: rejected.reason,
          remediation: remediationFor('opportunity-to-project', 'HubSpotEventRejected'),
          correlationId,
          source: { vendor: 'hubspot', instance },
        },
        c.clock(),
      );
    },
    recordForeignPortalEvents: recordRefused('HubSpot events of another portal refused'),
    recordUnhandledEvents: recordRefused('HubSpot events of an unhandled subscription type refused'),
    newCorrelationId: randomUUID,
  });
  logger.info('HubSpot webhook answered', { statusCode: response.statusCode, correlationId: response.headers?.['x-correlation-id'] });
  return response;
});
