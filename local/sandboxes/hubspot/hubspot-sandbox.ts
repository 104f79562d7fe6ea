import { createHmac, randomUUID } from 'node:crypto';
import { type LocalNetwork, type RunningSandbox, readJson, type SandboxRequest, type SandboxResponse, startSandbox } from '../sandbox-kit';

/**
 * A HubSpot portal on loopback: the CRM objects API v3 for deals, companies and line items, the
 * deal property registry, HubSpot's error objects and 429 with rate-limit headers, the OAuth token
 * endpoint (refresh-token grant, expiring access tokens), and webhooks delivered as HubSpot sends
 * them (a JSON array, signed with v3, retried on 429 and 5xx only), legacy or generic in style.
 */

/** HubSpot's current OAuth token endpoint (the 2026-03 API; v1 is deprecated). */
export const HUBSPOT_SANDBOX_TOKEN_PATH = '/oauth/2026-03/token';

/** Which subscription types the app's webhooks carry: `deal.*`, or the generic `object.*` with `objectTypeId`. */
export type HubSpotEventStyle = 'legacy' | 'generic';

/** Options of {@link startHubSpotSandbox}. */
export interface HubSpotSandboxOptions {
  readonly portalId: number;
  readonly appId?: number;
  /** The app's client secret, which signs webhooks. */
  readonly clientSecret: string;
  /** Private-app tokens accepted as Bearer. */
  readonly accessTokens: readonly string[];
  /**
   * The app as a public app installed in this portal: its client id (its client secret is
   * `clientSecret`) and the refresh tokens of its installs, which the token endpoint exchanges for
   * access tokens that expire.
   */
  readonly oauth?: {
    readonly clientId: string;
    readonly refreshTokens: readonly string[];
    /** @default 1800, as HubSpot's */
    readonly accessTokenLifetimeSeconds?: number;
  };
  /** @default 'legacy' */
  readonly eventStyle?: HubSpotEventStyle;
  /** Where webhooks go (the integration's public URL). */
  readonly webhookTargetUrl?: string;
  /** Requests per 10-second window (HubSpot's burst limit). @default 100 */
  readonly burstLimit?: number;
  /** Delivery attempts for a webhook batch. @default 3 */
  readonly maxDeliveryAttempts?: number;
  /** @default 0 */
  readonly port?: number;
  /** Routes the public target URL to where the integration runs locally; the signature covers the public URL. */
  readonly network?: LocalNetwork;
}

interface CrmObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  associations: Record<string, string[]>;
}

/** A webhook delivery attempt, as the sandbox recorded it. */
export interface WebhookDelivery {
  readonly body: string;
  readonly attempt: number;
  readonly status: number;
}

/** The v3 signature: base64(HMAC-SHA256(secret, method + URI + body + timestamp)). */
export function signHubSpotV3(input: { clientSecret: string; method: string; uri: string; body: string; timestamp: string }): string {
  return createHmac('sha256', input.clientSecret).update(`${input.method}${input.uri}${input.body}${input.timestamp}`).digest('base64');
}

const STANDARD_DEAL_PROPERTIES = [
  'dealname',
  'dealstage',
  'pipeline',
  'amount',
  'deal_currency_code',
  'closedate',
  'hubspot_owner_id',
  'hs_lastmodifieddate',
  'createdate',
  'hs_object_id',
];
const STANDARD_COMPANY_PROPERTIES = ['name', 'domain', 'address', 'city', 'state', 'zip', 'country', 'hs_lastmodifieddate'];
const STANDARD_LINE_ITEM_PROPERTIES = ['name', 'price', 'quantity', 'hs_sku', 'hs_lastmodifieddate'];

/** A running HubSpot sandbox with its state and webhook deliveries. */
export interface HubSpotSandbox extends RunningSandbox {
  readonly deliveries: readonly WebhookDelivery[];
  /** Deal, company or line item as stored. */
  object(type: 'deals' | 'companies' | 'line_items', id: string): CrmObject | undefined;
  /** Every object of a type, as the portal holds them. */
  objects(type: 'deals' | 'companies' | 'line_items'): CrmObject[];
  /** Re-sends a recorded delivery body (freshly signed), as HubSpot's retries and replays do. */
  redeliver(index: number): Promise<number>;
  /** Waits until every delivery in flight is done. */
  settled(): Promise<void>;
  /** Points webhooks at the integration, once its URL is known. */
  setWebhookTargetUrl(url: string): void;
  /** Switches the app's subscriptions between legacy `deal.*` and generic `object.*` event types. */
  setEventStyle(style: HubSpotEventStyle): void;
  /** The OAuth access tokens the token endpoint issued, with when each expires (epoch ms). */
  readonly issuedAccessTokens: ReadonlyMap<string, number>;
}

/** Starts the sandbox. */
export async function startHubSpotSandbox(initial: HubSpotSandboxOptions): Promise<HubSpotSandbox> {
  let options = initial;
  const objects: Record<'deals' | 'companies' | 'line_items', Map<string, CrmObject>> = { deals: new Map(), companies: new Map(), line_items: new Map() };
  const properties: Record<string, Set<string>> = {
    deals: new Set(STANDARD_DEAL_PROPERTIES),
    companies: new Set(STANDARD_COMPANY_PROPERTIES),
    line_items: new Set(STANDARD_LINE_ITEM_PROPERTIES),
  };
  let nextId = 18274650231;
  let nextEventId = 1;
  const deliveries: WebhookDelivery[] = [];
  const inFlight: Promise<unknown>[] = [];
  const issuedAccessTokens = new Map<string, number>();

  const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}): SandboxResponse => ({
    status,
    json: { status: 'error', message, correlationId: randomUUID(), category, ...extra },
  });
  const typeOf = (request: SandboxRequest) => request.params.objectType as keyof typeof objects;
  const view = (type: keyof typeof objects, o: CrmObject, request: SandboxRequest) => {
    const wanted = (request.query.get('properties') ?? '').split(',').filter(Boolean);
    const shown = Object.fromEntries(
      Object.entries(o.properties).filter(([k]) =>
        wanted.length === 0
          ? [
              'createdate',
              'hs_lastmodifieddate',
              'hs_object_id',
              ...(type === 'deals' ? ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'] : ['name', 'domain']),
            ].includes(k)
          : wanted.includes(k),
      ),
    );
    const associationTypes = (request.query.get('associations') ?? '').split(',').filter(Boolean);
    const associations = Object.fromEntries(
      associationTypes
        .filter((t) => (o.associations[t] ?? []).length > 0)
        // HubSpot names the line-item association "line items" in object reads.
        .map((t) => [
          t === 'line_items' ? 'line items' : t,
          { results: o.associations[t]!.map((id) => ({ id, type: `${type.replace(/s$/, '')}_to_${t.replace(/s$/, '')}` })) },
        ]),
    );
    return {
      id: o.id,
      properties: shown,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
      archived: false,
      ...(associationTypes.length ? { associations } : {}),
    };
  };
  const unknownProperties = (type: keyof typeof objects, values: Record<string, unknown>) => Object.keys(values).filter((k) => !properties[type]!.has(k));

  const deliver = async (batch: unknown[]): Promise<void> => {
    if (!options.webhookTargetUrl) return;
    const body = JSON.stringify(batch);
    for (let attempt = 0; attempt < (options.maxDeliveryAttempts ?? 3); attempt++) {
      const withAttempt = attempt === 0 ? body : JSON.stringify(batch.map((e) => ({ ...(e as object), attemptNumber: attempt })));
      const status = await send(withAttempt);
      deliveries.push({ body: withAttempt, attempt, status });
      // HubSpot retries 429 and 5xx only; any other 4xx is final.
      if (status < 500 && status !== 429) return;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  };
  const send = async (body: string): Promise<number> => {
    const timestamp = String(Date.now());
    const uri = options.webhookTargetUrl!;
    try {
      const response = await fetch(options.network?.route(uri) ?? uri, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'X-HubSpot-Request-Timestamp': timestamp,
          'X-HubSpot-Signature-v3': signHubSpotV3({ clientSecret: options.clientSecret, method: 'POST', uri, body, timestamp }),
        },
        body,
      });
      await response.text();
      return response.status;
    } catch {
      return 599;
    }
  };
  const changed = (deal: CrmObject, changes: Record<string, string>, source: string) => {
    // Generic subscriptions name the object's type instead of carrying it in the subscription type.
    const type =
      options.eventStyle === 'generic' ? { subscriptionType: 'object.propertyChange', objectTypeId: '0-3' } : { subscriptionType: 'deal.propertyChange' };
    const events = Object.entries(changes).map(([propertyName, propertyValue]) => ({
      eventId: nextEventId++,
      subscriptionId: 1001,
      portalId: options.portalId,
      appId: options.appId ?? 4242,
      occurredAt: Date.now(),
      ...type,
      attemptNumber: 0,
      objectId: Number(deal.id),
      propertyName,
      propertyValue,
      changeSource: source,
      sourceId: source === 'INTEGRATION' ? String(options.appId ?? 4242) : 'userId:1',
    }));
    if (events.length > 0) inFlight.push(deliver(events));
  };
  const update = (type: keyof typeof objects, o: CrmObject, values: Record<string, string>, source: string) => {
    const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => o.properties[k] !== v));
    Object.assign(o.properties, values);
    o.updatedAt = new Date().toISOString();
    o.properties.hs_lastmodifieddate = o.updatedAt;
    if (type === 'deals') changed(o, changes, source);
  };
  const create = (type: keyof typeof objects, values: Record<string, string>, associations: Record<string, string[]> = {}): CrmObject => {
    const now = new Date().toISOString();
    const id = String(nextId++);
    const o: CrmObject = {
      id,
      properties: { ...values, createdate: now, hs_lastmodifieddate: now, hs_object_id: id },
      createdAt: now,
      updatedAt: now,
      associations,
    };
    objects[type].set(id, o);
    return o;
  };

  const sandbox = await startSandbox({
    name: 'hubspot',
    ...(options.port === undefined ? {} : { port: options.port }),
    authenticate: (request) => {
      if (request.path.startsWith('/__sandbox/') || request.path === HUBSPOT_SANDBOX_TOKEN_PATH) return undefined;
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      if (options.accessTokens.includes(token)) return undefined;
      const expiresAt = issuedAccessTokens.get(token);
      if (expiresAt === undefined) return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
      if (expiresAt > Date.now()) return undefined;
      return error(
        401,
        'EXPIRED_AUTHENTICATION',
        `The OAuth token used to make this call expired ${Math.floor((Date.now() - expiresAt) / 60_000)} minute(s) ago.`,
      );
    },
    notFound: () => error(404, 'OBJECT_NOT_FOUND', 'Resource not found'),
    rateLimit: {
      maxPerWindow: options.burstLimit ?? 100,
      windowMs: 10_000,
      response: () => ({
        status: 429,
        headers: {
          'X-HubSpot-RateLimit-Max': String(options.burstLimit ?? 100),
          'X-HubSpot-RateLimit-Remaining': '0',
          'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        },
        json: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'TEN_SECONDLY_ROLLING',
          category: 'RATE_LIMITS',
        },
      }),
    },
    routes: [
      // The refresh-token grant: parameters in the form body only (the 2026-03 endpoints refuse them
      // in the query), the app's client id and secret, and a refresh token of one of its installs.
      {
        method: 'POST',
        pattern: HUBSPOT_SANDBOX_TOKEN_PATH,
        handle: (request) => {
          const contentType = String(request.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim();
          if (contentType !== 'application/x-www-form-urlencoded' || [...request.query.keys()].length > 0) {
            return error(400, 'VALIDATION_ERROR', 'Parameters must be sent as an application/x-www-form-urlencoded body');
          }
          const form = new URLSearchParams(request.rawBody.toString('utf8'));
          const oauth = options.oauth;
          if (form.get('grant_type') !== 'refresh_token') return error(400, 'VALIDATION_ERROR', 'grant_type must be refresh_token or authorization_code');
          if (!oauth || form.get('client_id') !== oauth.clientId) return error(400, 'VALIDATION_ERROR', 'missing or unknown client id');
          if (form.get('client_secret') !== options.clientSecret) return error(400, 'VALIDATION_ERROR', 'missing or invalid client secret');
          const refreshToken = form.get('refresh_token') ?? '';
          if (!oauth.refreshTokens.includes(refreshToken)) return error(400, 'VALIDATION_ERROR', 'missing or invalid refresh token');
          const lifetime = oauth.accessTokenLifetimeSeconds ?? 1800;
          const accessToken = `oauth-${randomUUID()}`;
          issuedAccessTokens.set(accessToken, Date.now() + lifetime * 1000);
          return {
            status: 200,
            json: {
              token_type: 'bearer',
              refresh_token: refreshToken,
              hub_id: options.portalId,
              scopes: ['oauth', 'crm.objects.deals.read', 'crm.objects.deals.write'],
              access_token: accessToken,
              expires_in: lifetime,
            },
          };
        },
      },
      {
        method: 'GET',
        pattern: '/crm/v3/objects/:objectType/:id',
        handle: (request) => {
          const type = typeOf(request);
          const o = objects[type]?.get(request.params.id!);
          return o ? { status: 200, json: view(type, o, request) } : error(404, 'OBJECT_NOT_FOUND', `resource not found`);
        },
      },
      {
        method: 'PATCH',
        pattern: '/crm/v3/objects/:objectType/:id',
        handle: (request) => {
          const type = typeOf(request);
          const o = objects[type]?.get(request.params.id!);
          if (!o) return error(404, 'OBJECT_NOT_FOUND', 'resource not found');
          const body = readJson<{ properties?: Record<string, string> }>(request);
          if (!body.ok || typeof body.value.properties !== 'object') return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1');
          const unknown = unknownProperties(type, body.value.properties);
          if (unknown.length)
            return error(400, 'VALIDATION_ERROR', `Property values were not valid: ${unknown.map((p) => `Property "${p}" does not exist`).join(', ')}`, {
              errors: unknown.map((p) => ({ message: `Property "${p}" does not exist`, code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [p] } })),
            });
          update(type, o, Object.fromEntries(Object.entries(body.value.properties).map(([k, v]) => [k, String(v)])), 'INTEGRATION');
          return { status: 200, json: view(type, o, request) };
        },
      },
      {
        method: 'POST',
        pattern: '/crm/v3/objects/:objectType',
        handle: (request) => {
          const type = typeOf(request);
          const body = readJson<{ properties?: Record<string, string>; associations?: { to: { id: string }; types: unknown[] }[] }>(request);
          if (!objects[type] || !body.ok || typeof body.value.properties !== 'object') return error(400, 'VALIDATION_ERROR', 'Invalid input JSON');
          const unknown = unknownProperties(type, body.value.properties);
          if (unknown.length) return error(400, 'VALIDATION_ERROR', `Property values were not valid: ${unknown.join(', ')}`);
          const o = create(type, body.value.properties);
          return { status: 201, json: view(type, o, request) };
        },
      },
      {
        method: 'POST',
        pattern: '/crm/v3/properties/:objectType',
        handle: (request) => {
          const body = readJson<{ name?: string; type?: string; fieldType?: string; groupName?: string; label?: string }>(request);
          const set = properties[request.params.objectType!];
          if (!set || !body.ok || !body.value.name || !body.value.type || !body.value.fieldType || !body.value.groupName || !body.value.label) {
            return error(400, 'VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required');
          }
          if (set.has(body.value.name)) return error(409, 'OBJECT_ALREADY_EXISTS', `A property named '${body.value.name}' already exists.`);
          set.add(body.value.name);
          return { status: 201, json: { ...body.value, createdAt: new Date().toISOString() } };
        },
      },
      {
        method: 'GET',
        pattern: '/crm/v3/pipelines/deals',
        handle: () => ({
          status: 200,
          json: {
            results: [
              {
                id: 'default',
                label: 'Sales Pipeline',
                stages: ['appointmentscheduled', 'contractsent', 'closedwon', 'closedlost'].map((id, i) => ({
                  id,
                  label: id,
                  displayOrder: i,
                  metadata: { isClosed: String(id.startsWith('closed')), probability: id === 'closedwon' ? '1.0' : '0.2' },
                })),
              },
              {
                id: '2001',
                label: 'Services',
                stages: [
                  { id: '1067933', label: 'Proposal', displayOrder: 0 },
                  { id: '1067934', label: 'Signed', displayOrder: 1, metadata: { isClosed: 'true', probability: '1.0' } },
                ],
              },
            ],
          },
        }),
      },
      // What a person does in the HubSpot UI, for the demo and tests: create a deal with its company and
      // line items, or change deal properties (a UI change, which HubSpot reports with changeSource CRM_UI).
      {
        method: 'POST',
        pattern: '/__sandbox/deals',
        handle: (request) => {
          const body = readJson<{ deal: Record<string, string>; company?: Record<string, string>; lineItems?: Record<string, string>[] }>(request);
          if (!body.ok || !body.value.deal) return { status: 400, json: { error: 'deal is required' } };
          const company = body.value.company ? create('companies', body.value.company) : undefined;
          const lineItems = (body.value.lineItems ?? []).map((l) => create('line_items', l));
          const deal = create('deals', body.value.deal, { ...(company ? { companies: [company.id] } : {}), line_items: lineItems.map((l) => l.id) });
          return { status: 201, json: { id: deal.id, companyId: company?.id ?? null, lineItemIds: lineItems.map((l) => l.id) } };
        },
      },
      {
        method: 'POST',
        pattern: '/__sandbox/deals/:id/set',
        handle: (request) => {
          const deal = objects.deals.get(request.params.id!);
          const body = readJson<Record<string, string>>(request);
          if (!deal || !body.ok) return { status: 404, json: { error: 'no such deal' } };
          update('deals', deal, body.value, 'CRM_UI');
          return { status: 200, json: { id: deal.id, properties: deal.properties } };
        },
      },
    ],
  });

  return {
    ...sandbox,
    deliveries,
    object: (type, id) => objects[type].get(id),
    objects: (type) => [...objects[type].values()],
    redeliver: async (index) => {
      const body = deliveries[index]!.body;
      const status = await send(body);
      deliveries.push({ body, attempt: -1, status });
      return status;
    },
    setWebhookTargetUrl: (url) => {
      options = { ...options, webhookTargetUrl: url };
    },
    setEventStyle: (style) => {
      options = { ...options, eventStyle: style };
    },
    issuedAccessTokens,
    settled: async () => {
      let seen = -1;
      while (seen !== inFlight.length) {
        seen = inFlight.length;
        await Promise.all(inFlight);
      }
    },
  };
}
