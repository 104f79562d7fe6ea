import { randomUUID } from 'node:crypto';
import { type LocalNetwork, readJson, type SandboxRequest, type SandboxResponse } from '../sandbox-kit';
import { bcError, checkIfMatch, etag } from './wire';

/**
 * Business Central's webhooks (docs/vendors/business-central.md, https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions):
 * creating or renewing a subscription first calls the notification URL with `?validationToken=` and
 * expects 200 with the token as plain text; subscriptions expire after three days; a change is
 * notified as `value[]` entries carrying the `clientState` and the changed record's path
 * (`api/v2.0/companies(<id>)/salesInvoices(<id>)`), never its data; more than 1,000 changes become
 * one `collection` notification; BC retries only 408, 429 and 5xx, and any other error status
 * deletes the subscription.
 */

/** A webhook subscription as BC lists it. */
export interface BusinessCentralSubscription {
  readonly subscriptionId: string;
  readonly notificationUrl: string;
  /** As the subscriber wrote it: relative (`companies(<id>)/salesInvoices`, `/api/v2.0/companies(<id>)/customers`) or absolute. */
  readonly resource: string;
  readonly clientState: string;
  readonly expirationDateTime: string;
  readonly lastModifiedDateTime: string;
  readonly userId: string;
}

/** What a change notifies: one record `created`, `updated` or `deleted`, or `collection` for many. */
export type ChangeType = 'created' | 'updated' | 'deleted' | 'collection';

type StoredSubscription = { -readonly [K in keyof BusinessCentralSubscription]: BusinessCentralSubscription[K] } & { version: number };

const THREE_DAYS_MS = 3 * 24 * 3600 * 1000;
/** BC sends one `collection` notification instead of more than this many. */
const COLLECTION_THRESHOLD = 1000;

/**
 * A resource as a path below the API root: BC accepts a subscription's resource relative or
 * absolute, with or without `/api/v2.0/`, so all of these name the same thing.
 */
export function resourcePath(resource: string): string {
  let path = resource.trim();
  if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
  return path
    .replace(/^\/+/, '')
    .replace(/^v2\.0\/[^/]+\/[^/]+\//, '')
    .replace(/^api\/v2\.0\//, '')
    .split('?')[0]!;
}

/** Whether a change to `changed` concerns a subscription to `subscribed`: the record itself, or a collection it belongs to. */
function concerns(subscribedResource: string, changedPath: string): boolean {
  // Entity set names are case-sensitive in OData, but GUID keys are not: compare both folded.
  const subscribed = resourcePath(subscribedResource).toLowerCase();
  const changed = changedPath.toLowerCase();
  return changed === subscribed || changed.startsWith(`${subscribed}(`) || changed.startsWith(`${subscribed}/`);
}

/** The subscriptions of one environment, their HTTP resource, and the notifications they receive. */
export interface WebhookHub {
  readonly subscriptions: ReadonlyMap<string, BusinessCentralSubscription>;
  /** Answers `POST .../subscriptions`. */
  create(request: SandboxRequest): Promise<SandboxResponse>;
  /** Answers `PATCH .../subscriptions('<id>')`: a renewal, validated like a creation. */
  renew(request: SandboxRequest, id: string): Promise<SandboxResponse>;
  /** Answers `GET .../subscriptions` or, with an id, `GET .../subscriptions('<id>')`. */
  read(id?: string): SandboxResponse;
  /** Answers `DELETE .../subscriptions('<id>')`. */
  remove(id: string): SandboxResponse;
  /** Notifies the subscribers of one changed record (`companies(<id>)/salesInvoices(<id>)`); resolves with each delivery's last status. */
  notify(path: string, changeType: Exclude<ChangeType, 'collection'>): Promise<number[]>;
  /** Notifies `changes` changes to records of a collection at once, as one `collection` notification above 1,000. */
  change(resource: string, changes: number): Promise<number[]>;
  /** Resolves once every notification started so far has been delivered or given up. */
  flush(): Promise<void>;
  /** The back office's clock for one subscription: it now expires `msLeft` from now, as if it had aged. */
  age(subscriptionId: string, msLeft: number): void;
}

/** Creates the hub; `userId` is the user BC records as each subscription's creator. */
export function createWebhookHub(options: { maxDeliveryAttempts: number; userId: string; now: () => string; network?: LocalNetwork }): WebhookHub {
  const reach = (url: string) => options.network?.route(url) ?? url;
  const subscriptions = new Map<string, StoredSubscription>();
  const inFlight = new Set<Promise<unknown>>();

  const view = (s: StoredSubscription) => ({
    '@odata.etag': etag(s.subscriptionId, s.version),
    subscriptionId: s.subscriptionId,
    notificationUrl: s.notificationUrl,
    resource: s.resource,
    userId: s.userId,
    lastModifiedDateTime: s.lastModifiedDateTime,
    clientState: s.clientState,
    expirationDateTime: s.expirationDateTime,
  });

  const handshake = async (url: string): Promise<boolean> => {
    const token = randomUUID();
    try {
      const response = await fetch(`${reach(url)}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
      return response.status === 200 && (await response.text()) === token;
    } catch {
      return false;
    }
  };
  const handshakeFailed = () => bcError(400, 'BadRequest', 'The notification URL did not answer the validation request with its token.');

  const deliver = async (subscription: StoredSubscription, entries: unknown[]): Promise<number> => {
    let status = 0;
    for (let attempt = 0; attempt < options.maxDeliveryAttempts; attempt++) {
      try {
        const response = await fetch(reach(subscription.notificationUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value: entries }),
        });
        await response.text();
        status = response.status;
      } catch {
        status = 599;
      }
      if (status >= 200 && status < 300) return status;
      // Any error status other than 408, 429 and 5xx deletes the subscription: the trap docs/vendors/business-central.md warns of.
      if (status !== 408 && status !== 429 && status < 500) {
        subscriptions.delete(subscription.subscriptionId);
        return status;
      }
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    return status;
  };

  const subscribersOf = (path: string) =>
    [...subscriptions.values()].filter((s) => Date.parse(s.expirationDateTime) > Date.now() && concerns(s.resource, path));
  const entry = (s: StoredSubscription, resource: string, changeType: ChangeType, at: string) => ({
    subscriptionId: s.subscriptionId,
    clientState: s.clientState,
    expirationDateTime: s.expirationDateTime,
    resource,
    changeType,
    lastModifiedDateTime: at,
  });
  const track = <T>(delivery: Promise<T>): Promise<T> => {
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
    return delivery;
  };
  const strings = (body: unknown): Record<string, string | undefined> => {
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    return Object.fromEntries(['notificationUrl', 'resource', 'clientState'].map((k) => [k, typeof record[k] === 'string' ? record[k] : undefined]));
  };

  return {
    subscriptions,
    async create(request) {
      const body = readJson(request);
      const { notificationUrl, resource, clientState } = strings(body.ok ? body.value : undefined);
      if (!notificationUrl || !resource) return bcError(400, 'BadRequest', 'notificationUrl and resource are required.');
      if ((clientState ?? '').length > 2048)
        return bcError(
          400,
          'Application_StringExceededLength',
          `The length of the string is ${clientState!.length}, but it must be less than or equal to 2048 characters. Value: ${clientState}`,
        );
      if (!(await handshake(notificationUrl))) return handshakeFailed();
      const now = options.now();
      const subscription: StoredSubscription = {
        subscriptionId: randomUUID().replace(/-/g, ''),
        notificationUrl,
        resource,
        clientState: clientState ?? '',
        expirationDateTime: new Date(Date.parse(now) + THREE_DAYS_MS).toISOString(),
        lastModifiedDateTime: now,
        userId: options.userId,
        version: 1,
      };
      subscriptions.set(subscription.subscriptionId, subscription);
      return { status: 201, json: view(subscription) };
    },
    async renew(request, id) {
      const subscription = subscriptions.get(id);
      if (!subscription) return bcError(404, 'BadRequest_ResourceNotFound', 'The subscription does not exist.');
      const refused = checkIfMatch(request, etag(subscription.subscriptionId, subscription.version));
      if (refused) return refused;
      const body = readJson(request);
      const changes = strings(body.ok ? body.value : undefined);
      const notificationUrl = changes.notificationUrl ?? subscription.notificationUrl;
      // A renewal validates the URL again, as creation does.
      if (!(await handshake(notificationUrl))) return handshakeFailed();
      const now = options.now();
      Object.assign(subscription, {
        notificationUrl,
        resource: changes.resource ?? subscription.resource,
        clientState: changes.clientState ?? subscription.clientState,
        expirationDateTime: new Date(Date.parse(now) + THREE_DAYS_MS).toISOString(),
        lastModifiedDateTime: now,
        version: subscription.version + 1,
      });
      return { status: 200, json: view(subscription) };
    },
    read(id) {
      if (id === undefined) return { status: 200, json: { value: [...subscriptions.values()].map(view) } };
      const subscription = subscriptions.get(id);
      return subscription ? { status: 200, json: view(subscription) } : bcError(404, 'BadRequest_ResourceNotFound', 'The subscription does not exist.');
    },
    remove(id) {
      return subscriptions.delete(id) ? { status: 204 } : bcError(404, 'BadRequest_ResourceNotFound', 'The subscription does not exist.');
    },
    notify(path, changeType) {
      const changed = resourcePath(path);
      const at = options.now();
      return track(Promise.all(subscribersOf(changed).map((s) => deliver(s, [entry(s, `api/v2.0/${changed}`, changeType, at)]))));
    },
    change(resource, changes) {
      const collection = resourcePath(resource);
      const since = options.now();
      return track(
        (async () => {
          const statuses: number[] = [];
          for (const s of subscribersOf(collection)) {
            const at = options.now();
            const entries =
              changes > COLLECTION_THRESHOLD
                ? // BC names the collection with a filter the subscriber can list the changed records by.
                  [entry(s, `api/v2.0/${collection}?$filter=lastModifiedDateTime%20ge%20${since}`, 'collection', at)]
                : Array.from({ length: changes }, (_, i) => entry(s, `api/v2.0/${collection}(${i + 1})`, 'updated', at));
            statuses.push(await deliver(s, entries));
          }
          return statuses;
        })(),
      );
    },
    async flush() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    age(subscriptionId, msLeft) {
      const subscription = subscriptions.get(subscriptionId);
      if (!subscription) throw new Error(`no subscription ${subscriptionId}`);
      subscription.expirationDateTime = new Date(Date.now() + msLeft).toISOString();
    },
  };
}
