import { z } from 'zod';

/**
 * One event of a HubSpot webhook batch, as HubSpot documents it. Property values are always strings.
 * Generic subscription types (`object.*`) name the object's type in `objectTypeId` (`0-3` for deals).
 * https://developers.hubspot.com/docs/api/webhooks
 * https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
 */
export const HubSpotWebhookEvent = z.object({
  eventId: z.number().int().nonnegative(),
  subscriptionId: z.number().int().nonnegative(),
  portalId: z.number().int().nonnegative(),
  appId: z.number().int().nonnegative().optional(),
  occurredAt: z.number().int().positive(),
  subscriptionType: z.string().min(1),
  objectTypeId: z.string().min(1).optional(),
  attemptNumber: z.number().int().nonnegative(),
  objectId: z.number().int().nonnegative(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  changeSource: z.string().optional(),
  sourceId: z.string().optional(),
});
/** One HubSpot webhook event. */
export type HubSpotWebhookEvent = z.infer<typeof HubSpotWebhookEvent>;

/** HubSpot's object type id of deals, as generic events carry it. */
export const DEAL_OBJECT_TYPE_ID = '0-3';

/**
 * The subscription types this integration acts on, legacy and generic (the generic ones for deals
 * only); any other type in a batch is refused.
 */
export const HANDLED_SUBSCRIPTIONS = [
  'deal.creation',
  'deal.propertyChange',
  `object.creation (${DEAL_OBJECT_TYPE_ID})`,
  `object.propertyChange (${DEAL_OBJECT_TYPE_ID})`,
] as const;

/** What a deal event is, whichever style of subscription sent it. */
export type DealEventKind = 'creation' | 'propertyChange';

/**
 * The deal event kind of an event: `deal.creation` and `object.creation` of a deal are the same
 * event, as are the two property changes. Undefined for any other type or object type.
 */
export function dealEventKind(e: Pick<HubSpotWebhookEvent, 'subscriptionType' | 'objectTypeId'>): DealEventKind | undefined {
  switch (e.subscriptionType) {
    case 'deal.creation':
      return 'creation';
    case 'deal.propertyChange':
      return 'propertyChange';
    case 'object.creation':
      return e.objectTypeId === DEAL_OBJECT_TYPE_ID ? 'creation' : undefined;
    case 'object.propertyChange':
      return e.objectTypeId === DEAL_OBJECT_TYPE_ID ? 'propertyChange' : undefined;
    default:
      return undefined;
  }
}

/**
 * HubSpot's eventId is not guaranteed unique, so the dedup key is the documented combination.
 * Retries of the same delivery and replays carry the same key; `attemptNumber` is left out on purpose.
 */
export function dedupKey(instance: string, e: HubSpotWebhookEvent): string {
  return [instance, e.portalId, e.subscriptionId, e.eventId, e.objectId, e.occurredAt].join(':');
}

/** A verified event as it travels on the intake queue. */
export interface QueuedDealEvent {
  readonly instance: string;
  readonly dedupKey: string;
  readonly correlationId: string;
  readonly receivedAt: string;
  readonly event: HubSpotWebhookEvent;
}

/** The outcome of checking one event of a batch; a refusal says its kind and why. */
export type EventCheck =
  | { ok: true; event: HubSpotWebhookEvent }
  | { ok: false; kind: 'invalid'; index: number; objectId?: unknown; reason: string }
  | { ok: false; kind: 'unhandled-type'; index: number; objectId?: unknown; subscriptionType: string; objectTypeId?: string; reason: string }
  | { ok: false; kind: 'foreign-portal'; index: number; objectId?: unknown; portalId: number; reason: string };

/**
 * Checks each event of a parsed batch against the schema, the instance's portal and the handled
 * subscription types. The portal comes before the type: another portal's event is not ours at all.
 */
export function checkBatch(batch: readonly unknown[], portalId: number): EventCheck[] {
  return batch.map((raw, index): EventCheck => {
    const parsed = HubSpotWebhookEvent.safeParse(raw);
    const objectId = raw !== null && typeof raw === 'object' ? (raw as { objectId?: unknown }).objectId : undefined;
    if (!parsed.success) {
      return {
        ok: false,
        kind: 'invalid',
        index,
        objectId,
        reason: `event ${index} violates the HubSpot event schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'} ${i.message}`).join('; ')}`,
      };
    }
    if (parsed.data.portalId !== portalId) {
      return {
        ok: false,
        kind: 'foreign-portal',
        index,
        objectId,
        portalId: parsed.data.portalId,
        reason: `event ${index} is of HubSpot portal ${parsed.data.portalId}, not of this instance's portal ${portalId}`,
      };
    }
    if (dealEventKind(parsed.data) === undefined) {
      const { subscriptionType, objectTypeId } = parsed.data;
      return {
        ok: false,
        kind: 'unhandled-type',
        index,
        objectId,
        subscriptionType,
        ...(objectTypeId === undefined ? {} : { objectTypeId }),
        reason: `event ${index} has subscription type ${subscriptionType}${objectTypeId === undefined ? '' : ` of object type ${objectTypeId}`}, which this integration does not handle (${HANDLED_SUBSCRIPTIONS.join(', ')})`,
      };
    }
    return { ok: true, event: parsed.data };
  });
}
