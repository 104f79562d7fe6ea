import { randomUUID } from 'node:crypto';
import { type RunningSandbox, type SandboxResponse, readJson, startSandbox } from '../sandbox-kit';

/**
 * A Business Central environment's webhook side on loopback (VENDORS.md): creating or renewing a
 * subscription first calls the notification URL with `?validationToken=` and expects 200 with the
 * token as plain text; subscriptions expire after three days; a change is notified as `value[]`
 * entries carrying the `clientState`; more than 1,000 changes become one `collection` notification;
 * BC retries only 408, 429 and 5xx, and any other error status deletes the subscription.
 */

/** Options of {@link startBusinessCentralSandbox}. */
export interface BusinessCentralSandboxOptions {
  /** Delivery attempts on 408, 429 and 5xx. @default 3 */
  readonly maxDeliveryAttempts?: number;
  readonly port?: number;
}

interface Subscription {
  subscriptionId: string;
  notificationUrl: string;
  resource: string;
  clientState: string;
  expirationDateTime: string;
}

/** A running Business Central sandbox. */
export interface BusinessCentralSandbox extends RunningSandbox {
  readonly subscriptions: ReadonlyMap<string, Subscription>;
  /** Records changes to a resource and notifies its subscribers as BC does. Resolves when delivered. */
  change(resource: string, changes: number): Promise<number[]>;
}

const THREE_DAYS_MS = 3 * 24 * 3600 * 1000;

/** Starts the sandbox. */
export async function startBusinessCentralSandbox(options: BusinessCentralSandboxOptions = {}): Promise<BusinessCentralSandbox> {
  const subscriptions = new Map<string, Subscription>();
  const error = (status: number, code: string, message: string): SandboxResponse => ({ status, json: { error: { code, message } } });

  const validate = async (url: string): Promise<boolean> => {
    const token = randomUUID();
    try {
      const response = await fetch(`${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
      return response.status === 200 && (await response.text()) === token;
    } catch {
      return false;
    }
  };

  const notify = async (subscription: Subscription, entries: unknown[]): Promise<number> => {
    let status = 0;
    for (let attempt = 0; attempt < (options.maxDeliveryAttempts ?? 3); attempt++) {
      try {
        const response = await fetch(subscription.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: entries }) });
        await response.text();
        status = response.status;
      } catch {
        status = 599;
      }
      if (status >= 200 && status < 300) return status;
      // Any error status other than 408, 429 and 5xx deletes the subscription: the trap VENDORS.md warns of.
      if (status !== 408 && status !== 429 && status < 500) {
        subscriptions.delete(subscription.subscriptionId);
        return status;
      }
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    return status;
  };

  const sandbox = await startSandbox({
    name: 'business-central',
    ...(options.port === undefined ? {} : { port: options.port }),
    notFound: () => error(404, 'BadRequest_ResourceNotFound', 'The resource was not found.'),
    routes: [
      {
        method: 'POST',
        pattern: '/api/v2.0/subscriptions',
        handle: async (request) => {
          const body = readJson<{ notificationUrl?: string; resource?: string; clientState?: string }>(request);
          if (!body.ok || !body.value.notificationUrl || !body.value.resource) return error(400, 'BadRequest', 'notificationUrl and resource are required.');
          if (!(await validate(body.value.notificationUrl))) return error(400, 'BadRequest', 'The notification URL did not answer the validation request with its token.');
          const subscription: Subscription = {
            subscriptionId: randomUUID().replace(/-/g, ''),
            notificationUrl: body.value.notificationUrl,
            resource: body.value.resource,
            clientState: body.value.clientState ?? '',
            expirationDateTime: new Date(Date.now() + THREE_DAYS_MS).toISOString(),
          };
          subscriptions.set(subscription.subscriptionId, subscription);
          return { status: 201, json: subscription };
        },
      },
      {
        method: 'PATCH',
        pattern: '/api/v2.0/subscriptions/:id',
        handle: async (request) => {
          const subscription = subscriptions.get(request.params.id!.replace(/^\(|\)$/g, '').replace(/'/g, ''));
          if (!subscription) return error(404, 'BadRequest_ResourceNotFound', 'The subscription does not exist.');
          // A renewal validates the URL again, as creation does.
          if (!(await validate(subscription.notificationUrl))) return error(400, 'BadRequest', 'The notification URL did not answer the validation request with its token.');
          subscription.expirationDateTime = new Date(Date.now() + THREE_DAYS_MS).toISOString();
          return { status: 200, json: subscription };
        },
      },
      { method: 'GET', pattern: '/api/v2.0/subscriptions', handle: () => ({ status: 200, json: { value: [...subscriptions.values()] } }) },
    ],
  });

  return {
    ...sandbox,
    subscriptions,
    async change(resource, changes) {
      const statuses: number[] = [];
      for (const subscription of [...subscriptions.values()].filter((s) => resource.startsWith(s.resource))) {
        const now = new Date().toISOString();
        const entries =
          changes > 1000
            ? [{ subscriptionId: subscription.subscriptionId, clientState: subscription.clientState, expirationDateTime: subscription.expirationDateTime, resource: subscription.resource, changeType: 'collection', lastModifiedDateTime: now }]
            : Array.from({ length: changes }, (_, i) => ({ subscriptionId: subscription.subscriptionId, clientState: subscription.clientState, expirationDateTime: subscription.expirationDateTime, resource: `${resource}(${i + 1})`, changeType: 'updated', lastModifiedDateTime: now }));
        statuses.push(await notify(subscription, entries));
      }
      return statuses;
    },
  };
}
