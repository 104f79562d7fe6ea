import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Business Central webhook notifications (VENDORS.md): the validation handshake answers the token as
 * plain text; a notification is authentic when its `clientState` matches ours. BC deletes the
 * subscription on any error status except 408, 429 and 5xx, so a notification we reject still gets
 * 200, and the rejection is recorded instead.
 */

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

/** What the intake decided for a request. */
export type BusinessCentralIntake =
  | { readonly kind: 'handshake'; readonly response: { statusCode: 200; headers: Record<string, string>; body: string } }
  | {
      readonly kind: 'notifications';
      readonly response: { statusCode: 200; headers: Record<string, string>; body: string };
      /** Authentic entries to re-GET and enqueue. */
      readonly accepted: readonly BusinessCentralNotification[];
      /** Entries refused, with the reason to record durably (the status cannot carry it). */
      readonly rejected: readonly { readonly reason: string; readonly resource?: string }[];
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
export function receiveBusinessCentral(request: { query: Readonly<Record<string, string | undefined>>; body: string | null }, clientStates: readonly string[]): BusinessCentralIntake {
  const token = request.query.validationToken;
  if (token !== undefined) {
    return { kind: 'handshake', response: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: token } };
  }
  const ok = (accepted: BusinessCentralNotification[], rejected: { reason: string; resource?: string }[]): BusinessCentralIntake => ({
    kind: 'notifications',
    response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accepted: accepted.length, rejected: rejected.length }) },
    accepted,
    rejected,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body ?? '');
  } catch {
    return ok([], [{ reason: 'the body is not JSON; answered 200 so Business Central keeps the subscription' }]);
  }
  const entries = (parsed as { value?: unknown }).value;
  if (!Array.isArray(entries)) return ok([], [{ reason: 'the body has no value[] array of notifications' }]);
  const accepted: BusinessCentralNotification[] = [];
  const rejected: { reason: string; resource?: string }[] = [];
  for (const [index, raw] of entries.entries()) {
    const entry = BusinessCentralNotification.safeParse(raw);
    if (!entry.success) rejected.push({ reason: `notification ${index} violates the schema: ${entry.error.issues.map((i) => i.path.join('.')).join(', ')}` });
    else if (!clientStates.some((s) => sameSecret(s, entry.data.clientState))) rejected.push({ reason: `notification ${index} has a clientState that is not ours`, resource: entry.data.resource });
    else accepted.push(entry.data);
  }
  return ok(accepted, rejected);
}

/** Whether a subscription must be renewed now: BC subscriptions expire after three days. */
export function needsRenewal(expiresAt: Date, now: Date, margin = 24 * 3600 * 1000): boolean {
  return expiresAt.getTime() - now.getTime() <= margin;
}
