import { importPKCS8, SignJWT } from 'jose';
import { VendorAuthenticationError, type VendorCall, VendorThrottledError, VendorUnavailableError } from '../errors';
import { vendorRequest } from '../http/vendor-http';

/**
 * How a Salesforce-platform adapter (Salesforce CRM, Certinia) gets a session: the OAuth 2.0 client
 * credentials flow or the JWT bearer flow against the org's token endpoint (docs/vendors/salesforce.md).
 * Neither flow returns a refresh token or a lifetime (the org's session timeout decides), so a session
 * is kept per container until the org answers INVALID_SESSION_ID, and then the flow runs again.
 */

/** The secret of a Salesforce or Certinia instance, chosen by `flow`. */
export type SalesforceCredentials =
  | {
      readonly flow: 'client-credentials';
      /** The connected app's (or external client app's) consumer key. */
      readonly clientId: string;
      readonly clientSecret: string;
      /** Where the token endpoint is: the org's My Domain URL. @default the instance's baseUrl */
      readonly loginUrl?: string;
    }
  | {
      readonly flow: 'jwt-bearer';
      readonly clientId: string;
      /** The pre-authorized user the integration runs as (the JWT's `sub`). */
      readonly username: string;
      /** PKCS#8 PEM of the key whose certificate is uploaded to the app; the assertion is signed RS256. */
      readonly privateKey: string;
      /** @default the instance's baseUrl */
      readonly loginUrl?: string;
      /** The JWT's `aud`: https://test.salesforce.com for a sandbox org. @default https://login.salesforce.com */
      readonly audience?: string;
    };

/** An issued session: the bearer token and the org's instance URL. */
export interface SalesforceSession {
  readonly accessToken: string;
  readonly instanceUrl: string;
}

/** The assertion's lifetime: Salesforce wants `exp` within 3 minutes; a little less leaves room for clock skew. */
const ASSERTION_LIFETIME_SECONDS = 150;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const text = (secret: Record<string, unknown>, key: string): string | undefined =>
  typeof secret[key] === 'string' && secret[key] !== '' ? (secret[key] as string) : undefined;

/**
 * The credentials in a secret, or why they are unusable. A secret of the old shape (a static
 * `accessToken`) is refused: nothing would renew it once the org's session timeout passes.
 */
export function parseSalesforceCredentials(secret: Record<string, unknown>): SalesforceCredentials | { readonly problem: string } {
  const clientId = text(secret, 'clientId');
  const optional = (key: 'loginUrl' | 'audience') => (text(secret, key) === undefined ? {} : { [key]: text(secret, key) as string });
  if (secret.flow === 'client-credentials') {
    const clientSecret = text(secret, 'clientSecret');
    if (!clientId || !clientSecret) return { problem: 'a client-credentials secret needs clientId and clientSecret' };
    return { flow: 'client-credentials', clientId, clientSecret, ...optional('loginUrl') };
  }
  if (secret.flow === 'jwt-bearer') {
    const username = text(secret, 'username');
    const privateKey = text(secret, 'privateKey');
    if (!clientId || !username || !privateKey) return { problem: 'a jwt-bearer secret needs clientId, username and privateKey' };
    return { flow: 'jwt-bearer', clientId, username, privateKey, ...optional('loginUrl'), ...optional('audience') };
  }
  if ('accessToken' in secret) return { problem: 'the secret holds a static accessToken; use flow client-credentials or jwt-bearer' };
  return { problem: `unknown flow ${JSON.stringify(secret.flow)}; use client-credentials or jwt-bearer` };
}

/** The signed assertion of the JWT bearer flow. */
export async function jwtBearerAssertion(credentials: Extract<SalesforceCredentials, { flow: 'jwt-bearer' }>, now = new Date()): Promise<string> {
  const key = await importPKCS8(credentials.privateKey, 'RS256');
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(credentials.clientId)
    .setSubject(credentials.username)
    .setAudience(credentials.audience ?? 'https://login.salesforce.com')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

/** Runs the secret's flow once against `<loginUrl>/services/oauth2/token`. */
export async function requestSalesforceSession(
  call: VendorCall,
  credentials: SalesforceCredentials,
  defaultLoginUrl: string | undefined,
  timeoutMs = 30_000,
): Promise<SalesforceSession> {
  const tokenCall = { ...call, operation: `${call.operation}: token (${credentials.flow})` };
  const loginUrl = credentials.loginUrl ?? defaultLoginUrl;
  if (loginUrl === undefined) throw new VendorAuthenticationError(tokenCall, { cause: new Error('no loginUrl in the secret and no baseUrl configured') });
  const form =
    credentials.flow === 'client-credentials'
      ? new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret })
      : new URLSearchParams({ grant_type: JWT_BEARER, assertion: await jwtBearerAssertion(credentials) });
  const response = await vendorRequest(tokenCall, `${loginUrl.replace(/\/+$/, '')}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    timeoutMs,
  });
  const body = response.json<{ access_token?: string; instance_url?: string; error?: string; error_description?: string }>();
  if (response.status === 200 && body?.access_token && body.instance_url) return { accessToken: body.access_token, instanceUrl: body.instance_url };
  if (response.status === 429) throw new VendorThrottledError(tokenCall);
  if (response.status >= 500 || response.status === 200) throw new VendorUnavailableError(tokenCall, `HTTP ${response.status} ${body?.error ?? 'no token'}`);
  // invalid_grant, invalid_client_id, unsupported_grant_type...: the app, user or key needs a person.
  throw new VendorAuthenticationError(tokenCall, {
    cause: new Error(`${body?.error ?? `HTTP ${response.status}`}: ${body?.error_description ?? 'no detail'}`),
  });
}

/** Sessions per instance, kept for the container's life; an org's session serves every client built in it. */
const sessions = new Map<string, Promise<SalesforceSession>>();

/** Options of {@link salesforceSessions}. */
export interface SalesforceSessionsOptions {
  readonly call: VendorCall;
  /** The instance's secret; `forceFetch` after a refused session, to pick up a rotated secret. */
  readonly secret: (options: { forceFetch: boolean }) => Promise<Record<string, unknown>>;
  /** The token endpoint's host when the secret names none: the instance's baseUrl (its My Domain). */
  readonly loginUrl?: string;
  readonly requestTimeoutMs?: number;
}

/**
 * The session source of one instance: `session` runs the flow once per container and then hands out
 * the kept session; `refreshSession` (after INVALID_SESSION_ID) re-reads the secret and runs the flow
 * again, shared by every caller that was refused at the same time.
 */
export function salesforceSessions(options: SalesforceSessionsOptions): {
  session: () => Promise<SalesforceSession>;
  refreshSession: () => Promise<SalesforceSession>;
} {
  const key = `${options.call.vendor}/${options.call.instance}@${options.loginUrl ?? ''}`;
  const run = (forceFetch: boolean, replacing?: Promise<SalesforceSession>): Promise<SalesforceSession> => {
    // Another caller already replaced the refused session: use theirs rather than run the flow again.
    const kept = sessions.get(key);
    if (kept !== undefined && kept !== replacing) return kept;
    const flow = (async () => {
      const credentials = parseSalesforceCredentials(await options.secret({ forceFetch }));
      if ('problem' in credentials) throw new VendorAuthenticationError(options.call, { cause: new Error(credentials.problem) });
      return requestSalesforceSession(options.call, credentials, options.loginUrl, options.requestTimeoutMs);
    })();
    sessions.set(key, flow);
    // A failed flow is not kept: the next call tries again.
    flow.catch(() => sessions.get(key) === flow && sessions.delete(key));
    return flow;
  };
  let used: Promise<SalesforceSession> | undefined;
  return {
    session: () => {
      used = sessions.get(key) ?? run(false);
      return used;
    },
    refreshSession: () => {
      used = run(true, used);
      return used;
    },
  };
}

/** Forgets every kept session (tests: a fresh container). */
export function forgetSalesforceSessions(): void {
  sessions.clear();
}
