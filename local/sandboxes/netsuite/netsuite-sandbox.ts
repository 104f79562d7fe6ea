import { createHmac, createPublicKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { type RunningSandbox, readJson, type SandboxRequest, type SandboxResponse, startSandbox } from '../sandbox-kit';

/**
 * One NetSuite account on loopback: the SuiteTalk REST record service for `customer` and `job`, with
 * create answering 204 and the id only in `Location`, upsert by `eid:`, NetSuite's error document,
 * token-based authentication (OAuth 1.0a HMAC-SHA256, verified for real), OAuth 2.0 client credentials
 * (M2M) with a JWT client assertion verified against the mapped certificates' public keys, bearer tokens
 * that expire, and the account's concurrency limit answered with 429.
 */

/** The assertion algorithms NetSuite accepts (The Request Token Structure). */
const ASSERTION_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';

/** Options of {@link startNetSuiteSandbox}. */
export interface NetSuiteSandboxOptions {
  readonly accountId: string;
  readonly tba?: { consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string };
  /**
   * The integration record enabled for the client credentials (M2M) grant, and the certificates mapped to it
   * on OAuth 2.0 Client Credentials (M2M) Setup: certificate id to public key (PEM SPKI or X.509 certificate).
   */
  readonly oauth2?: { clientId: string; certificates: Readonly<Record<string, string>>; tokenTtlSeconds?: number };
  /** Concurrent requests beyond which NetSuite answers 429. @default 5 */
  readonly concurrencyLimit?: number;
  /** Time each request takes, so concurrency builds up. @default 0 */
  readonly latencyMs?: number;
  /** Tax rate NetSuite applies to invoices, in percent. @default 0 */
  readonly taxRatePercent?: number;
  /** Internal ids of the service items invoice lines may reference. @default ['101', '102', '103'] */
  readonly itemIds?: readonly string[];
  /** A OneWorld account: customers and jobs need a `subsidiary`, by the internal id of one of `subsidiaryIds`. */
  readonly oneWorld?: boolean;
  /** Internal ids of the OneWorld account's subsidiaries. @default ['1'] */
  readonly subsidiaryIds?: readonly string[];
  /** Internal ids of the account's currency records (`currency` on customers, jobs and invoices). @default ['1', '2', '3', '4'] */
  readonly currencyIds?: readonly string[];
  /** Internal ids of the account's payment terms records (a customer's `terms`). @default ['2'] */
  readonly paymentTermsIds?: readonly string[];
  /** Internal ids of the account's tax items and tax groups (a customer's `taxItem`). @default ['11', '12'] */
  readonly taxItemIds?: readonly string[];
  readonly port?: number;
}

type NetSuiteRecord = Record<string, unknown> & { id: string; externalId?: string };

/** The record types this sandbox serves, and which references each must resolve. */
const TYPES = { customer: [], job: ['parent'], invoice: ['entity'] } as const;

/** A running NetSuite sandbox. */
export interface NetSuiteSandbox extends RunningSandbox {
  records(type: keyof typeof TYPES): NetSuiteRecord[];
  /** Ends every OAuth 2.0 access token issued so far, as a revoked certificate mapping would. */
  revokeTokens(): void;
}

function enc(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Starts the sandbox. */
export async function startNetSuiteSandbox(options: NetSuiteSandboxOptions): Promise<NetSuiteSandbox> {
  const store: Record<keyof typeof TYPES, Map<string, NetSuiteRecord>> = { customer: new Map(), job: new Map(), invoice: new Map() };
  const items = new Set(options.itemIds ?? ['101', '102', '103']);
  const subsidiaries = new Set(options.subsidiaryIds ?? ['1']);
  // The defaults hold the ids local/deployment.local.json configures for both local accounts.
  const references: Readonly<Record<'currency' | 'terms' | 'taxItem', ReadonlySet<string>>> = {
    currency: new Set(options.currencyIds ?? ['1', '2', '3', '4']),
    terms: new Set(options.paymentTermsIds ?? ['2']),
    taxItem: new Set(options.taxItemIds ?? ['11', '12']),
  };
  let nextInvoiceNumber = 1;
  const tokens = new Map<string, number>();
  const nonces = new Set<string>();
  let nextId = 1000;
  let url = '';

  const failure = (
    status: number,
    code: string,
    detail: string,
    title = status === 401 ? 'Unauthorized' : status === 404 ? 'Record not found' : 'Bad Request',
    errorPath?: string,
  ): SandboxResponse => ({
    status,
    headers: { 'content-type': 'application/vnd.oracle.resource+json; type=error' },
    json: {
      type: `https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.${status === 401 ? 2 : status === 404 ? 5 : 1}`,
      title,
      status,
      'o:errorDetails': [{ detail, 'o:errorCode': code, ...(errorPath === undefined ? {} : { 'o:errorPath': errorPath }) }],
    },
  });
  const unauthorized = () => failure(401, 'INVALID_LOGIN', 'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI.');

  const verifyTba = (request: SandboxRequest): boolean => {
    const header = String(request.headers.authorization ?? '');
    if (!options.tba || !header.startsWith('OAuth ')) return false;
    const params = Object.fromEntries([...header.slice(6).matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, decodeURIComponent(v!)]));
    if (params.realm !== options.accountId || params.oauth_consumer_key !== options.tba.consumerKey || params.oauth_token !== options.tba.tokenId) return false;
    if (params.oauth_signature_method !== 'HMAC-SHA256') return false;
    if (Math.abs(Date.now() / 1000 - Number(params.oauth_timestamp)) > 300) return false;
    const nonceKey = `${params.oauth_timestamp}:${params.oauth_nonce}`;
    if (nonces.has(nonceKey)) return false;
    const oauth = Object.entries(params).filter(([k]) => k.startsWith('oauth_') && k !== 'oauth_signature');
    const all = [...request.query.entries(), ...oauth]
      .map(([k, v]) => [enc(k), enc(v)] as const)
      .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
    const base = [request.method, enc(`${url}${request.path}`), enc(all.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
    const expected = createHmac('sha256', `${enc(options.tba.consumerSecret)}&${enc(options.tba.tokenSecret)}`)
      .update(base)
      .digest();
    const given = Buffer.from(params.oauth_signature ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    nonces.add(nonceKey);
    return true;
  };

  // An invalid reference, as Oracle shows it in "Error Handling in REST Web Services".
  const invalidField = (field: string, value: unknown): SandboxResponse =>
    failure(
      400,
      'INVALID_CONTENT',
      `Error while accessing resource: You have entered an Invalid Field Value ${String(value)} for the following field: ${field}`,
      undefined,
      field,
    );
  const find = (type: keyof typeof TYPES, key: string): NetSuiteRecord | undefined =>
    key.startsWith('eid:') ? [...store[type].values()].find((r) => r.externalId === key.slice(4)) : store[type].get(key);
  const view = (type: string, r: NetSuiteRecord) => ({ links: [{ rel: 'self', href: `${url}/services/rest/record/v1/${type}/${r.id}` }], ...r });
  const check = (type: keyof typeof TYPES, body: Record<string, unknown>): SandboxResponse | undefined => {
    for (const field of TYPES[type] as readonly string[]) {
      const ref = body[field] as { id?: string } | undefined;
      if (!ref?.id || !store.customer.has(String(ref.id))) {
        return failure(400, 'USER_ERROR', `Error while accessing a resource. Invalid reference key ${ref?.id ?? 'null'} for ${field}.`);
      }
    }
    if (type === 'customer' && typeof body.companyName !== 'string') return failure(400, 'USER_ERROR', 'Please enter value(s) for: Company Name');
    // OneWorld: an entity or project belongs to a subsidiary, set by internal id (a refName selects nothing);
    // an invoice takes its subsidiary from its customer. The unknown-id answer is "Error Handling in REST Web Services".
    if (options.oneWorld && type !== 'invoice') {
      const subsidiary = body.subsidiary as { id?: unknown } | undefined;
      if (subsidiary?.id === undefined) return failure(400, 'USER_ERROR', 'Please enter value(s) for: Subsidiary');
      if (!subsidiaries.has(String(subsidiary.id))) return invalidField('subsidiary', subsidiary.id);
    }
    // currency (every type), terms and taxItem (customers) select a record of the account by internal id, the only
    // way NetSuite documents setting a reference: one without an id (a { refName }) or with an id the account does
    // not have is refused, naming what was sent (docs/vendors/netsuite.md).
    for (const field of type === 'customer' ? (['currency', 'terms', 'taxItem'] as const) : (['currency'] as const)) {
      const ref = body[field];
      if (ref === undefined) continue;
      const { id, refName } = typeof ref === 'object' && ref !== null ? (ref as { id?: unknown; refName?: unknown }) : { id: undefined, refName: ref };
      if (id === undefined || id === null || !references[field].has(String(id))) return invalidField(field, id ?? refName ?? 'null');
    }
    if (type === 'invoice') {
      const lines = (body.item as { items?: { item?: { id?: string }; amount?: unknown }[] } | undefined)?.items ?? [];
      if (lines.length === 0) return failure(400, 'USER_ERROR', 'You must enter at least one line item for this transaction.');
      const bad = lines.find((l) => !l.item?.id || !items.has(String(l.item.id)));
      if (bad) return failure(400, 'USER_ERROR', `Error while accessing a resource. Invalid reference key ${bad.item?.id ?? 'null'} for item.`);
      if (lines.some((l) => typeof l.amount !== 'number' || !Number.isFinite(l.amount))) return failure(400, 'INVALID_FLD_VALUE', 'Invalid amount on a line.');
    }
    return undefined;
  };
  // NetSuite assigns the invoice number and computes tax and totals; the integration only reads them back.
  const completeInvoice = (body: Record<string, unknown>, existing: NetSuiteRecord | undefined): Record<string, unknown> => {
    const lines = (body.item as { items: { amount: number }[] }).items;
    const subtotal = Math.round(lines.reduce((sum, l) => sum + l.amount, 0) * 100) / 100;
    const taxTotal = Math.round(subtotal * (options.taxRatePercent ?? 0)) / 100;
    const total = Math.round((subtotal + taxTotal) * 100) / 100;
    const amountPaid = Number(existing?.amountPaid ?? 0);
    return {
      ...body,
      tranId: existing?.tranId ?? `INV${String(nextInvoiceNumber++).padStart(6, '0')}`,
      subtotal,
      taxTotal,
      total,
      amountPaid,
      amountRemaining: Math.round((total - amountPaid) * 100) / 100,
      status: { id: 'A', refName: 'Open' },
      lastModifiedDate: new Date().toISOString(),
    };
  };
  const location = (type: string, id: string) => ({ status: 204, headers: { location: `${url}/services/rest/record/v1/${type}/${id}` } });

  // The client credentials (M2M) grant: the client authenticates only by its signed assertion.
  const certificates = new Map(Object.entries(options.oauth2?.certificates ?? {}).map(([id, pem]): [string, KeyObject] => [id, createPublicKey(pem)]));
  const tokenError = (status: number, error: string): SandboxResponse => ({
    status,
    headers: { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': `Basic realm="${options.accountId}"` } : {}) },
    json: { error },
  });
  const issueToken = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    const assertion = form.get('client_assertion');
    const basic = /^Basic /i.test(String(request.headers.authorization ?? ''));
    // A client secret is no way in for this grant: Basic alone fails client authentication, Basic beside an assertion is two methods.
    if (basic) return assertion ? tokenError(400, 'invalid_request') : tokenError(401, 'invalid_client');
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      !assertion
    )
      return tokenError(400, 'invalid_request');
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      return tokenError(400, 'invalid_request');
    }
    if (!options.oauth2 || claims.iss !== options.oauth2.clientId) return tokenError(401, 'invalid_client');
    const key = typeof header.kid === 'string' ? certificates.get(header.kid) : undefined;
    if (!key || header.typ !== 'JWT' || !ASSERTION_ALGORITHMS.includes(String(header.alg))) return tokenError(400, 'invalid_grant');
    try {
      // Signature, aud (this account's token endpoint), iss, exp not passed.
      await jwtVerify(assertion, key, {
        algorithms: ASSERTION_ALGORITHMS,
        audience: `${url}${TOKEN_PATH}`,
        issuer: options.oauth2.clientId,
        requiredClaims: ['iat', 'exp'],
      });
    } catch {
      return tokenError(400, 'invalid_grant');
    }
    if (Number(claims.exp) - Number(claims.iat) > 3600) return tokenError(400, 'invalid_grant');
    // NetSuite's example sends an array; its text says comma-separated: take either.
    const scopes = Array.isArray(claims.scope) ? claims.scope.map(String) : String(claims.scope ?? '').split(/[\s,]+/);
    if (!scopes.includes('rest_webservices')) return tokenError(400, 'invalid_grant');
    const token = randomUUID();
    const ttl = options.oauth2.tokenTtlSeconds ?? 3600;
    tokens.set(token, Date.now() + ttl * 1000);
    return { status: 200, json: { access_token: token, token_type: 'bearer', expires_in: ttl } };
  };

  const sandbox = await startSandbox({
    name: `netsuite-${options.accountId}`,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    rateLimit: {
      maxConcurrent: options.concurrencyLimit ?? 5,
      response: () => failure(429, 'CONCURRENCY_LIMIT_EXCEEDED', 'Concurrent request limit exceeded. Request blocked.', 'Too Many Requests'),
    },
    authenticate: (request) => {
      if (request.path === TOKEN_PATH || request.path.startsWith('/__sandbox/')) return undefined;
      const header = String(request.headers.authorization ?? '');
      if (header.startsWith('Bearer ')) {
        const expires = tokens.get(header.slice(7));
        return expires !== undefined && expires > Date.now() ? undefined : unauthorized();
      }
      return verifyTba(request) ? undefined : unauthorized();
    },
    notFound: (request) => failure(404, 'NONEXISTENT_ID', `The record path ${request.path} does not exist.`),
    routes: [
      {
        method: 'POST',
        pattern: TOKEN_PATH,
        handle: (request) => issueToken(request),
      },
      {
        // The back office: a customer's payment applied to an invoice, as accounts receivable records it.
        method: 'POST',
        pattern: '/__sandbox/payments',
        handle: (request: SandboxRequest): SandboxResponse => {
          const body = readJson<{ invoice?: string; amount?: number }>(request);
          const invoice = body.ok ? store.invoice.get(String(body.value.invoice)) : undefined;
          if (!invoice || !body.ok || typeof body.value.amount !== 'number' || body.value.amount <= 0)
            return { status: 400, json: { error: 'an existing invoice and a positive amount expected' } };
          const paid = Math.min(Number(invoice.total), Math.round((Number(invoice.amountPaid ?? 0) + body.value.amount) * 100) / 100);
          const remaining = Math.round((Number(invoice.total) - paid) * 100) / 100;
          Object.assign(invoice, {
            amountPaid: paid,
            amountRemaining: remaining,
            status: remaining === 0 ? { id: 'B', refName: 'Paid In Full' } : { id: 'A', refName: 'Open' },
            lastModifiedDate: new Date().toISOString(),
          });
          return { status: 200, json: invoice };
        },
      },
      {
        // The back office: an accountant changing an invoice's total in the UI (reconciliation then reports it).
        method: 'PATCH',
        pattern: '/__sandbox/invoices/:id',
        handle: (request: SandboxRequest): SandboxResponse => {
          const invoice = store.invoice.get(request.params.id!);
          const body = readJson<{ total?: number }>(request);
          if (!invoice || !body.ok || typeof body.value.total !== 'number')
            return { status: 400, json: { error: 'an existing invoice and a numeric total expected' } };
          Object.assign(invoice, { total: body.value.total, lastModifiedDate: new Date().toISOString() });
          return { status: 200, json: invoice };
        },
      },
      ...(Object.keys(TYPES) as (keyof typeof TYPES)[]).flatMap((type) => [
        {
          method: 'POST',
          pattern: `/services/rest/record/v1/${type}`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const body = readJson<Record<string, unknown>>(request);
            if (!body.ok) return failure(400, 'INVALID_CONTENT', 'The request body is not valid JSON.');
            const invalid = check(type, body.value);
            if (invalid) return invalid;
            if (typeof body.value.externalId === 'string' && find(type, `eid:${body.value.externalId}`)) {
              return failure(400, 'DUP_RCRD', 'This record already exists.');
            }
            const id = String(nextId++);
            store[type].set(id, { ...(type === 'invoice' ? completeInvoice(body.value, undefined) : body.value), id });
            return location(type, id);
          },
        },
        {
          method: 'GET',
          pattern: `/services/rest/record/v1/${type}/:key`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const record = find(type, request.params.key!);
            return record
              ? { status: 200, json: view(type, record) }
              : failure(404, 'NONEXISTENT_ID', `The record instance does not exist. Provide a valid record instance ID.`);
          },
        },
        {
          method: 'PUT',
          pattern: `/services/rest/record/v1/${type}/:key`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const key = request.params.key!;
            if (!key.startsWith('eid:')) return failure(400, 'INVALID_REQUEST', 'PUT is supported with an external id (eid:) only.');
            const body = readJson<Record<string, unknown>>(request);
            if (!body.ok) return failure(400, 'INVALID_CONTENT', 'The request body is not valid JSON.');
            const existing = find(type, key);
            // Upsert: the same external id always lands on the same record; an existing one is updated in
            // the fields sent, the others stay as they are (NetSuite's "Using the Upsert Operation").
            const merged = existing && type !== 'invoice' ? { ...existing, ...body.value } : body.value;
            const invalid = check(type, merged);
            if (invalid) return invalid;
            const id = existing?.id ?? String(nextId++);
            store[type].set(id, { ...(type === 'invoice' ? completeInvoice(body.value, existing) : merged), id, externalId: key.slice(4) });
            return location(type, id);
          },
        },
        {
          method: 'PATCH',
          pattern: `/services/rest/record/v1/${type}/:key`,
          handle: (request: SandboxRequest): SandboxResponse => {
            const record = find(type, request.params.key!);
            if (!record) return failure(404, 'NONEXISTENT_ID', 'The record instance does not exist.');
            const body = readJson<Record<string, unknown>>(request);
            if (!body.ok) return failure(400, 'INVALID_CONTENT', 'The request body is not valid JSON.');
            Object.assign(record, body.value, { id: record.id });
            return { status: 204 };
          },
        },
        {
          method: 'GET',
          pattern: `/services/rest/record/v1/${type}`,
          handle: (request: SandboxRequest): SandboxResponse => {
            // `q=lastModifiedDate ON_OR_AFTER "<ISO time>"`: the record query the payment poll sends (ISO times here);
            // `q=tranDate ON_OR_AFTER "<date>" AND tranDate ON_OR_BEFORE "<date>"`: reconciliation's invoices of a period.
            const q = request.query.get('q');
            const since = q === null ? undefined : /^lastModifiedDate ON_OR_AFTER "([^"]+)"$/.exec(q)?.[1];
            const dated = q === null ? undefined : /^tranDate ON_OR_AFTER "(\d{4}-\d{2}-\d{2})" AND tranDate ON_OR_BEFORE "(\d{4}-\d{2}-\d{2})"$/.exec(q);
            if (q !== null && dated === null && (since === undefined || Number.isNaN(Date.parse(since))))
              return failure(400, 'INVALID_PARAMETER', `Invalid query: ${q}`);
            const all = [...store[type].values()].filter(
              (r) =>
                (since === undefined || Date.parse(String(r.lastModifiedDate ?? '')) >= Date.parse(since)) &&
                (!dated || (String(r.tranDate ?? '') >= dated[1]! && String(r.tranDate ?? '') <= dated[2]!)),
            );
            const limit = Number(request.query.get('limit') ?? 1000);
            const offset = Number(request.query.get('offset') ?? 0);
            const page = all.slice(offset, offset + limit);
            return {
              status: 200,
              json: {
                links: [],
                count: page.length,
                hasMore: offset + limit < all.length,
                items: page.map((r) => ({ links: [], id: r.id })),
                offset,
                totalResults: all.length,
              },
            };
          },
        },
      ]),
    ],
  });
  url = sandbox.url;
  return { ...sandbox, records: (type) => [...store[type].values()], revokeTokens: () => tokens.clear() };
}
