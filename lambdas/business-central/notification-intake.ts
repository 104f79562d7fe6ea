import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { remediationFor } from '../common/errors';
import type { BusinessException } from '../common/exceptions';
import { refuseOversizedBody } from '../common/http/body-limit';
import { type HttpAnswer, problemAnswer } from '../common/http/problem';

/**
 * Business Central webhook notifications (docs/vendors/business-central.md): the validation handshake answers the token as
 * plain text; a notification is authentic when its `clientState` matches ours. BC deletes the
 * subscription on any error status except 408, 429 and 5xx, so a notification we reject still gets
 * 200, and the rejection is recorded instead. Every other refusal is problem+json.
 */

/** The kinds of rejection recorded: one open exception per kind and instance-or-unknown. */
export type BusinessCentralRejectionKind =
  /** A notification to a path that names no configured instance. */
  | 'unknown-instance'
  /** A validation handshake for an unknown instance, or with a token too long to echo. */
  | 'handshake-refused'
  | 'oversized-body'
  /** Not JSON, or no `value[]` array. */
  | 'malformed-body'
  /** An entry of `value[]` that violates the schema. */
  | 'invalid-notification'
  | 'foreign-client-state';

/** The instance every path naming no configured instance is filed under: the path is the caller's to choose. */
export const UNKNOWN_INSTANCE = 'unknown';

/** A rejection to record durably, because the answer cannot carry it. */
export interface BusinessCentralRejection {
  /** The configured instance, or UNKNOWN_INSTANCE. */
  readonly instance: string;
  readonly kind: BusinessCentralRejectionKind;
  readonly reason: string;
}

const REMEDIATION_OF: Readonly<Record<BusinessCentralRejectionKind, string>> = {
  'unknown-instance': 'BusinessCentralUnknownInstance',
  'handshake-refused': 'BusinessCentralHandshakeRefused',
  'oversized-body': 'BusinessCentralNotificationRejected',
  'malformed-body': 'BusinessCentralNotificationRejected',
  'invalid-notification': 'BusinessCentralNotificationRejected',
  'foreign-client-state': 'BusinessCentralNotificationRejected',
};

/**
 * The exception of a rejection, keyed by instance-or-unknown and kind only: however many requests, and
 * whatever paths they name, a flood is one item whose `occurrences` and `lastSeenAt` say how many and when.
 */
export function rejectionException(rejection: BusinessCentralRejection, correlationId: string): BusinessException {
  return {
    workflow: 'invoice-payment-status',
    entityType: 'business-central-notification',
    entityId: `${rejection.instance}:${rejection.kind}`,
    reason: rejection.reason,
    remediation: remediationFor('invoice-payment-status', REMEDIATION_OF[rejection.kind]),
    correlationId,
    source: { vendor: 'business-central', instance: rejection.instance },
  };
}

/** One entry of a BC notification (`value[]`); it carries no record data, only what changed. */
export const BusinessCentralNotification = z.object({
  subscriptionId: z.string().min(1),
  clientState: z.string(),
  expirationDateTime: z.string().optional(),
  resource: z.string().min(1),
  changeType: z.enum(['created', 'updated', 'deleted', 'collection']),
  lastModifiedDateTime: z.string().min(1),
});
/** One BC notification entry. */
export type BusinessCentralNotification = z.infer<typeof BusinessCentralNotification>;

/** A refused notification request or entry. */
export interface NotificationRejection {
  readonly kind: Exclude<BusinessCentralRejectionKind, 'unknown-instance' | 'handshake-refused' | 'oversized-body'>;
  readonly reason: string;
  readonly resource?: string;
}

/** What the intake decided for a request. */
export type BusinessCentralIntake =
  | { readonly kind: 'handshake'; readonly response: { statusCode: 200; headers: Record<string, string>; body: string } }
  | {
      readonly kind: 'notifications';
      readonly response: { statusCode: 200; headers: Record<string, string>; body: string };
      /** Authentic entries to re-GET and enqueue. */
      readonly accepted: readonly BusinessCentralNotification[];
      /** Entries refused, with the reason to record durably (the status cannot carry it). */
      readonly rejected: readonly NotificationRejection[];
    };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Decides a BC request. `query.validationToken` is the handshake BC sends on create and on each
 * renewal; anything else is a notification batch. Malformed bodies and wrong clientStates are
 * answered 200 with nothing accepted, and reported as rejected.
 */
export function receiveBusinessCentral(
  request: { query: Readonly<Record<string, string | undefined>>; body: string | null },
  clientStates: readonly string[],
): BusinessCentralIntake {
  const token = request.query.validationToken;
  if (token !== undefined) {
    return { kind: 'handshake', response: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: token } };
  }
  const ok = (accepted: BusinessCentralNotification[], rejected: NotificationRejection[]): BusinessCentralIntake => ({
    kind: 'notifications',
    response: {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accepted: accepted.length, rejected: rejected.length }),
    },
    accepted,
    rejected,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body ?? '');
  } catch {
    return ok([], [{ kind: 'malformed-body', reason: 'the body is not JSON; answered 200 so Business Central keeps the subscription' }]);
  }
  const entries = (parsed as { value?: unknown } | null)?.value;
  if (!Array.isArray(entries)) return ok([], [{ kind: 'malformed-body', reason: 'the body has no value[] array of notifications' }]);
  const accepted: BusinessCentralNotification[] = [];
  const rejected: NotificationRejection[] = [];
  for (const [index, raw] of entries.entries()) {
    const entry = BusinessCentralNotification.safeParse(raw);
    if (!entry.success)
      rejected.push({
        kind: 'invalid-notification',
        reason: `notification ${index} violates the schema: ${entry.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      });
    else if (!clientStates.some((s) => sameSecret(s, entry.data.clientState)))
      rejected.push({ kind: 'foreign-client-state', reason: `notification ${index} has a clientState that is not ours`, resource: entry.data.resource });
    else accepted.push(entry.data);
  }
  return ok(accepted, rejected);
}

/** Whether a subscription must be renewed now: BC subscriptions expire after three days. */
export function needsRenewal(expiresAt: Date, now: Date, margin = 24 * 3600 * 1000): boolean {
  return expiresAt.getTime() - now.getTime() <= margin;
}

/** What the webhook needs from the outside world, so it is tested with plain fakes. */
export interface BusinessCentralWebhookDependencies {
  readonly maxBodyBytes: number;
  /** The request's correlation id, in every answer and record. */
  readonly correlationId: string;
  /** Whether the path's instance is a configured Business Central instance. */
  readonly isBusinessCentralInstance: (instance: string) => boolean;
  /** The clientStates currently valid for the instance (two while one is rotated). */
  readonly clientStates: (instance: string) => Promise<string[]>;
  /** Durably enqueues the accepted notifications; resolves only when every one is stored. */
  readonly enqueue: (instance: string, notifications: readonly BusinessCentralNotification[]) => Promise<void>;
  /**
   * Records a rejection durably (the 200 BC needs cannot carry the reason), as rejectionException makes
   * it; called at most once per kind of rejection in a request.
   */
  readonly recordRejection: (exception: BusinessException) => Promise<void>;
}

/** The longest validation token echoed; BC's are GUID-like, and echoing unbounded input helps no one. */
const MAX_VALIDATION_TOKEN = 1024;

/**
 * One request to `POST /webhooks/business-central/{instance}`. The handshake is answered only for a
 * configured instance (so no one can point a subscription of theirs at us); its refusal is problem+json.
 * A notification request is always answered 200, whatever is wrong with it, because BC deletes the
 * subscription on other 4xx; every rejection is recorded instead, filed under `unknown` when the path
 * names no configured instance. Only a failure to enqueue is a 503, which BC retries.
 */
export async function receiveBusinessCentralWebhook(
  request: {
    pathParameters: Readonly<Record<string, string | undefined>> | null;
    queryStringParameters: Readonly<Record<string, string | undefined>> | null;
    body: string | null;
    isBase64Encoded: boolean;
  },
  deps: BusinessCentralWebhookDependencies,
): Promise<HttpAnswer> {
  const pathInstance = request.pathParameters?.instance ?? '';
  const query = request.queryStringParameters ?? {};
  const known = deps.isBusinessCentralInstance(pathInstance);
  const instance = known ? pathInstance : UNKNOWN_INSTANCE;
  // The reason names the path the caller chose (shortened); the key never does.
  const named = JSON.stringify(pathInstance.slice(0, 64));
  const record = (kind: BusinessCentralRejectionKind, reason: string) =>
    deps.recordRejection(rejectionException({ instance, kind, reason }, deps.correlationId));

  if (query.validationToken !== undefined) {
    if (!known) {
      await record('handshake-refused', `a validation handshake for ${named}, which is not a configured Business Central instance, was refused`);
      return problemAnswer(404, 'Not Found', 'No subscription endpoint is configured at this URL', deps.correlationId);
    }
    if (query.validationToken.length > MAX_VALIDATION_TOKEN) {
      await record('handshake-refused', `a validation handshake with a token of ${query.validationToken.length} characters was refused`);
      return problemAnswer(400, 'Bad Request', `The validationToken is longer than ${MAX_VALIDATION_TOKEN} characters`, deps.correlationId);
    }
    return receiveBusinessCentral({ query, body: null }, []).response;
  }
  const accepted200 = (rejected: number) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-correlation-id': deps.correlationId },
    body: JSON.stringify({ accepted: 0, rejected }),
  });
  if (!known) {
    await record('unknown-instance', `a notification arrived for ${named}, which is not a configured Business Central instance`);
    return accepted200(1);
  }
  if (refuseOversizedBody(request, deps.maxBodyBytes) !== undefined) {
    await record('oversized-body', `a notification body of more than ${deps.maxBodyBytes} bytes was refused unread`);
    return accepted200(1);
  }
  const body = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : request.body;
  const intake = receiveBusinessCentral({ query, body }, await deps.clientStates(instance));
  if (intake.kind === 'handshake') return intake.response;
  // One record per kind of rejection, however many entries a (possibly forged) request carries.
  const kinds = new Map<BusinessCentralRejectionKind, { reason: string; count: number }>();
  for (const rejection of intake.rejected) {
    const seen = kinds.get(rejection.kind);
    if (seen) seen.count += 1;
    else kinds.set(rejection.kind, { reason: rejection.reason, count: 1 });
  }
  if (intake.accepted.length > 0) {
    try {
      await deps.enqueue(instance, intake.accepted);
    } catch {
      // BC retries 5xx: the notifications come again, and re-reading a record twice is harmless.
      return problemAnswer(503, 'Service Unavailable', 'The notifications could not be stored; retry', deps.correlationId, { 'retry-after': '30' });
    }
  }
  // After the good ones are safe, and not before a 503, whose retry would count the rejections twice.
  for (const [kind, { reason, count }] of kinds) await record(kind, count === 1 ? reason : `${reason} (and ${count - 1} more like it in this request)`);
  return { ...intake.response, headers: { ...intake.response.headers, 'x-correlation-id': deps.correlationId } };
}

/** What keeping a resource subscribed needs now. */
export type SubscriptionAction =
  | { readonly kind: 'create'; readonly resource: string }
  | { readonly kind: 'renew'; readonly subscriptionId: string; readonly resource: string }
  | { readonly kind: 'keep'; readonly subscriptionId: string; readonly resource: string; readonly expiresAt: string };

/**
 * For each resource we need notifications of, whether to create a subscription to our URL, renew the
 * one that expires within the margin, or keep it. Subscriptions of other URLs are someone else's.
 */
export function subscriptionPlan(
  existing: readonly { subscriptionId: string; notificationUrl: string; resource: string; expirationDateTime: string }[],
  notificationUrl: string,
  resources: readonly string[],
  now: Date,
): SubscriptionAction[] {
  const same = (a: string, b: string) => a.replace(/^\/?(api\/v2\.0\/)?/, '').toLowerCase() === b.replace(/^\/?(api\/v2\.0\/)?/, '').toLowerCase();
  return resources.map((resource) => {
    const ours = existing
      .filter((s) => s.notificationUrl === notificationUrl && same(s.resource, resource))
      .sort((a, b) => b.expirationDateTime.localeCompare(a.expirationDateTime))[0];
    if (ours === undefined || new Date(ours.expirationDateTime).getTime() <= now.getTime()) return { kind: 'create', resource };
    if (needsRenewal(new Date(ours.expirationDateTime), now)) return { kind: 'renew', subscriptionId: ours.subscriptionId, resource };
    return { kind: 'keep', subscriptionId: ours.subscriptionId, resource, expiresAt: ours.expirationDateTime };
  });
}

/** Our notification URL for an instance, below the API's public base URL. */
export function notificationUrlOf(publicBaseUrl: string, instance: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/business-central/${instance}`;
}
