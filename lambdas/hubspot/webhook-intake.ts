import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { remediationFor } from '../common/errors';
import type { BusinessException } from '../common/exceptions';
import { refuseOversizedBody } from '../common/http/body-limit';
import { problemAnswer as problem } from '../common/http/problem';
import { checkBatch, DEAL_OBJECT_TYPE_ID, dedupKey, type EventCheck, type QueuedDealEvent } from './webhook-events';
import { verifyHubSpotSignature } from './webhook-signature';

/** What the intake needs from the outside world, so it is tested with plain fakes. */
export interface WebhookIntakeDependencies {
  readonly nowMs: () => number;
  readonly maxBodyBytes: number;
  /**
   * The public base URL HubSpot calls, including stage or custom-domain path. Behind a custom domain
   * the URL HubSpot signed cannot be rebuilt from the request, so it is configured.
   */
  readonly publicBaseUrl: string;
  /** The portal (HubSpot account id) of the path's instance; undefined when it is not a configured HubSpot instance. */
  readonly portalIdOf: (instance: string) => number | undefined;
  /** The app client secrets currently valid for the instance (two during rotation). */
  readonly clientSecrets: (instance: string) => Promise<string[]>;
  /** Durably enqueues the events; resolves only when every one is stored. */
  readonly enqueue: (events: readonly QueuedDealEvent[]) => Promise<void>;
  /** Records a bad event of an otherwise valid batch as a business exception on its deal. */
  readonly recordRejectedEvent: (instance: string, rejected: Extract<EventCheck, { ok: false }>, correlationId: string) => Promise<void>;
  /** Records the other portals' events of one request, once, as the exception foreignPortalException makes. */
  readonly recordForeignPortalEvents: (exception: BusinessException) => Promise<void>;
  /** Records the events of one request of a type this integration does not handle, one exception per type, as unhandledEventException makes. */
  readonly recordUnhandledEvents: (exception: BusinessException) => Promise<void>;
  readonly newCorrelationId: () => string;
}

/** The events of one request that came from a portal other than the instance's. */
export interface ForeignPortalRefusal {
  readonly events: number;
  /** The instance's own portal. */
  readonly portalId: number;
  /** The other portals, each once. */
  readonly foreignPortalIds: readonly number[];
}

/**
 * The exception for other portals' events: one open item per instance, its `occurrences` counting the
 * requests and its reason the latest. They are HubSpot's own signed deliveries (the app is installed in
 * another portal too), so they can be many; one item per deal of someone else's portal would be a flood.
 */
export function foreignPortalException(instance: string, refusal: ForeignPortalRefusal, correlationId: string): BusinessException {
  const portals = refusal.foreignPortalIds.slice(0, 5).join(', ') + (refusal.foreignPortalIds.length > 5 ? ', ...' : '');
  return {
    workflow: 'opportunity-to-project',
    entityType: 'hubspot-webhook-event',
    entityId: `${instance}:foreign-portal`,
    reason: `${refusal.events} event(s) of HubSpot portal ${portals} arrived for ${instance}, whose portalId is ${refusal.portalId}; refused, not processed`,
    remediation: remediationFor('opportunity-to-project', 'HubSpotForeignPortal'),
    correlationId,
    source: { vendor: 'hubspot', instance },
  };
}

/** The events of one request of one subscription type (and object type) that the intake does not handle. */
export interface UnhandledEventRefusal {
  readonly subscriptionType: string;
  readonly objectTypeId?: string | undefined;
  readonly events: number;
}

/**
 * The exception for events of a type we do not handle: one open item per instance, subscription type
 * and objectTypeId, its `occurrences` counting the requests. A subscription made by mistake sends such
 * events on every change in the portal, so one item per event or per record would be a flood.
 */
export function unhandledEventException(instance: string, refusal: UnhandledEventRefusal, correlationId: string): BusinessException {
  const type = refusal.subscriptionType + (refusal.objectTypeId === undefined ? '' : ` of object type ${refusal.objectTypeId}`);
  return {
    workflow: 'opportunity-to-project',
    entityType: 'hubspot-webhook-event',
    entityId: `${instance}:unhandled:${refusal.subscriptionType}:${refusal.objectTypeId ?? '-'}`,
    reason: `${refusal.events} event(s) of subscription type ${type} arrived for ${instance}, which handles deal.creation, deal.propertyChange and their generic object.* forms for deals (${DEAL_OBJECT_TYPE_ID}) only; refused, not processed`,
    remediation: remediationFor('opportunity-to-project', 'HubSpotUnhandledEvent'),
    correlationId,
    source: { vendor: 'hubspot', instance },
  };
}

/** Groups a request's unhandled events by subscription type and object type, in order of first appearance. */
function unhandledRefusals(refused: readonly Extract<EventCheck, { ok: false }>[]): UnhandledEventRefusal[] {
  const groups = new Map<string, { subscriptionType: string; objectTypeId?: string | undefined; events: number }>();
  for (const r of refused) {
    if (r.kind !== 'unhandled-type') continue;
    const key = `${r.subscriptionType}\n${r.objectTypeId ?? ''}`;
    const group = groups.get(key) ?? { subscriptionType: r.subscriptionType, objectTypeId: r.objectTypeId, events: 0 };
    group.events++;
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** HubSpot sends at most 100 events a request. */
const MAX_EVENTS = 100;

/**
 * Receives one HubSpot webhook request. A fault of the request (size, query string, signature,
 * timestamp, JSON, shape) is a 4xx that changes nothing. Inside a valid batch, a bad event is recorded
 * as an exception and the rest proceed; an event of another portal, or of a type we do not handle, is
 * refused and recorded once per request, never enqueued, and answered 200.
 * The 2xx comes only after every accepted event is durably enqueued; if enqueueing fails the answer is
 * 503, which HubSpot retries, and the dedup key absorbs repeats.
 */
export async function receiveHubSpotWebhook(request: APIGatewayProxyEvent, deps: WebhookIntakeDependencies): Promise<APIGatewayProxyResult> {
  const correlationId = deps.newCorrelationId();
  const oversized = refuseOversizedBody(request, deps.maxBodyBytes, correlationId);
  if (oversized !== undefined) return oversized;
  // We register the target URL without a query string. A REST API proxy event carries only decoded
  // query values, from which the URL HubSpot signed cannot be rebuilt byte for byte; refusing any query
  // before the signature check means the check never has to try. The answer is the same for every
  // instance name, so it tells an unsigned caller nothing.
  if (request.multiValueQueryStringParameters != null || request.queryStringParameters != null) {
    return problem(
      400,
      'Bad Request',
      'The webhook URL takes no query string; register the target URL in HubSpot exactly as the stack outputs it',
      correlationId,
    );
  }

  const instance = request.pathParameters?.instance ?? '';
  const badSignature = 'The v3 signature does not match this body, URL and timestamp';
  // An unknown instance has no secret to sign with: it answers as a wrong signature does, so a caller
  // without a secret cannot learn which instance names exist.
  const portalId = deps.portalIdOf(instance);
  if (portalId === undefined) return problem(401, 'Unauthorized', badSignature, correlationId);

  const rawBody = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  const header = (name: string) => Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const verdict = verifyHubSpotSignature(
    {
      method: request.httpMethod,
      publicUrl: deps.publicBaseUrl.replace(/\/+$/, '') + request.path,
      rawBody,
      signature: header('X-HubSpot-Signature-v3'),
      timestamp: header('X-HubSpot-Request-Timestamp'),
    },
    await deps.clientSecrets(instance),
    deps.nowMs(),
  );
  if (!verdict.ok) {
    const reasons = {
      'missing-signature': 'The X-HubSpot-Signature-v3 header is missing',
      'missing-timestamp': 'The X-HubSpot-Request-Timestamp header is missing or not a millisecond timestamp',
      'stale-timestamp': 'The request timestamp is more than 5 minutes from now',
      'bad-signature': badSignature,
    } as const;
    return problem(401, 'Unauthorized', reasons[verdict.reason], correlationId);
  }
  // HubSpot sends its batches as JSON; anything else is not one of its deliveries.
  const contentType = String(header('Content-Type') ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (contentType !== 'application/json') {
    return problem(415, 'Unsupported Media Type', `The body must be application/json, not ${JSON.stringify(contentType || 'none')}`, correlationId);
  }

  let batch: unknown;
  try {
    batch = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return problem(400, 'Bad Request', 'The body is not valid JSON', correlationId);
  }
  if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_EVENTS) {
    return problem(400, 'Bad Request', `The body must be a JSON array of 1 to ${MAX_EVENTS} HubSpot events`, correlationId);
  }

  const checks = checkBatch(batch, portalId);
  const accepted = checks.flatMap((c) => (c.ok ? [c.event] : []));
  const refused = checks.flatMap((c) => (c.ok ? [] : [c]));
  const foreignPortalIds = refused.flatMap((r) => (r.kind === 'foreign-portal' ? [r.portalId] : []));
  const unhandled = unhandledRefusals(refused);
  // Another portal's event, or one of a type we do not handle, is a correct delivery we decline, not a
  // fault HubSpot could mend by sending it again: a batch holding one is answered 200 so it is never
  // redelivered, and the refusal is recorded rather than lost.
  if (accepted.length === 0 && foreignPortalIds.length === 0 && unhandled.length === 0) {
    return problem(422, 'Unprocessable Content', refused.map((r) => r.reason).join(' | '), correlationId);
  }

  const receivedAt = new Date(deps.nowMs()).toISOString();
  if (accepted.length > 0) {
    try {
      await deps.enqueue(accepted.map((event) => ({ instance, dedupKey: dedupKey(instance, event), correlationId, receivedAt, event })));
    } catch {
      return problem(503, 'Service Unavailable', 'The events could not be stored; HubSpot will retry', correlationId);
    }
  }
  // After the good events are safe: a failure to record a bad one must not cost the good ones.
  const recordings = refused.filter((r) => r.kind === 'invalid').map((r) => deps.recordRejectedEvent(instance, r, correlationId));
  for (const refusal of unhandled) recordings.push(deps.recordUnhandledEvents(unhandledEventException(instance, refusal, correlationId)));
  if (foreignPortalIds.length > 0) {
    const refusal = { events: foreignPortalIds.length, portalId, foreignPortalIds: [...new Set(foreignPortalIds)] };
    recordings.push(deps.recordForeignPortalEvents(foreignPortalException(instance, refusal, correlationId)));
  }
  await Promise.all(recordings);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
    body: JSON.stringify({ accepted: accepted.length, rejected: refused.map((r) => ({ index: r.index, reason: r.reason })), correlationId }),
  };
}
