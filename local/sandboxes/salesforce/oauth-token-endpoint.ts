import { createHmac, randomBytes } from 'node:crypto';
import { decodeJwt, importSPKI, importX509, jwtVerify } from 'jose';
import type { SandboxRequest, SandboxResponse } from '../sandbox-kit';

/**
 * A Salesforce org's OAuth 2.0 token endpoint (`POST /services/oauth2/token`, form-encoded) for
 * server-to-server integrations (docs/vendors/salesforce.md): the client credentials flow (a connected
 * app with a run-as user) and the JWT bearer flow (an RS256 assertion signed with the key of the
 * certificate uploaded to the app; `iss` the consumer key, `sub` a pre-authorized username, `aud` the
 * login URL, `exp` within 3 minutes). Every other grant is refused with Salesforce's OAuth error shape
 * `{ error, error_description }`. Issued sessions expire after the org's session timeout; the REST API
 * answers an unknown or expired session with 401 INVALID_SESSION_ID.
 */

/** A connected app (or external client app) of the org. */
export interface ConnectedApp {
  /** The consumer key. */
  readonly clientId: string;
  /** The consumer secret; with `runAs`, the app is enabled for the client credentials flow. */
  readonly clientSecret?: string;
  /** The username the client credentials flow runs as. */
  readonly runAs?: string;
  /** The uploaded certificate (X.509 PEM) or its public key (SPKI PEM): the app takes JWT bearer assertions. */
  readonly certificate?: string;
  /** Usernames pre-authorized for the app (JWT bearer `sub`). @default every user of the org */
  readonly preAuthorized?: readonly string[];
}

/** The org's OAuth settings. */
export interface SalesforceOAuthOptions {
  readonly apps: readonly ConnectedApp[];
  /** The org's usernames. */
  readonly users: readonly string[];
  /** The org's session timeout. @default 2 hours */
  readonly sessionLifetimeMs?: number;
  /** Audiences a JWT may name besides the org's own URL. @default login.salesforce.com and test.salesforce.com */
  readonly audiences?: readonly string[];
  /** @default 00D000000000LOC */
  readonly orgId?: string;
}

/** A session the org issued. */
export interface IssuedSession {
  readonly username: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

/** The endpoint and the sessions it issued. */
export interface SalesforceTokenEndpoint {
  issue(request: SandboxRequest): Promise<SandboxResponse>;
  /** The session a `Bearer` header carries, or undefined when missing, never issued or expired. */
  session(authorization: string | undefined): IssuedSession | undefined;
  /** Expires every session issued so far, as the session timeout would. */
  expireSessions(): void;
  /** Sessions issued so far, by flow. */
  readonly issued: readonly { flow: 'client-credentials' | 'jwt-bearer'; username: string }[];
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce's limit on a JWT bearer assertion's `exp`, plus a little clock skew. */
const MAX_ASSERTION_SECONDS = 180 + 5;

const oauthError = (status: number, error: string, description: string): SandboxResponse => ({
  status,
  json: { error, error_description: description },
});

/** Creates the token endpoint of one org. */
export function createSalesforceTokenEndpoint(options: SalesforceOAuthOptions): SalesforceTokenEndpoint {
  const sessions = new Map<string, IssuedSession>();
  const issued: { flow: 'client-credentials' | 'jwt-bearer'; username: string }[] = [];
  const orgId = options.orgId ?? '00D000000000LOC';
  const signingKey = randomBytes(32);
  const lifetime = options.sessionLifetimeMs ?? 2 * 60 * 60 * 1000;
  const appOf = (clientId: string | null | undefined) => options.apps.find((a) => a.clientId === clientId);

  const grant = (request: SandboxRequest, flow: 'client-credentials' | 'jwt-bearer', app: ConnectedApp, username: string): SandboxResponse => {
    const accessToken = `${orgId}!${randomBytes(48).toString('base64url')}`;
    sessions.set(accessToken, { username, clientId: app.clientId, expiresAt: Date.now() + lifetime });
    issued.push({ flow, username });
    const instanceUrl = `http://${String(request.headers.host)}`;
    const issuedAt = String(Date.now());
    const id = `${instanceUrl}/id/${orgId}/005${createHmac('sha256', 'user').update(username).digest('hex').slice(0, 12).toUpperCase()}`;
    // No refresh_token and no expires_in: these flows return neither.
    return {
      status: 200,
      json: {
        access_token: accessToken,
        signature: createHmac('sha256', signingKey).update(`${id}${issuedAt}`).digest('base64'),
        scope: 'api',
        instance_url: instanceUrl,
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
      },
    };
  };

  const clientCredentials = (request: SandboxRequest, form: URLSearchParams): SandboxResponse => {
    const app = appOf(form.get('client_id'));
    if (!app) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    if (!app.clientSecret || form.get('client_secret') !== app.clientSecret) return oauthError(400, 'invalid_client', 'invalid client credentials');
    if (!app.runAs || !options.users.includes(app.runAs)) return oauthError(400, 'invalid_grant', 'no client credentials user enabled');
    return grant(request, 'client-credentials', app, app.runAs);
  };

  const jwtBearer = async (request: SandboxRequest, form: URLSearchParams): Promise<SandboxResponse> => {
    const assertion = form.get('assertion') ?? '';
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      return oauthError(400, 'invalid_grant', 'invalid assertion');
    }
    const app = appOf(claims.iss);
    if (!app) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    if (!app.certificate) return oauthError(400, 'invalid_grant', 'invalid assertion');
    const key = app.certificate.includes('BEGIN CERTIFICATE') ? await importX509(app.certificate, 'RS256') : await importSPKI(app.certificate, 'RS256');
    try {
      // exp is checked below, with Salesforce's own wording.
      await jwtVerify(assertion, key, { algorithms: ['RS256'], currentDate: new Date(0) });
    } catch {
      return oauthError(400, 'invalid_grant', 'invalid assertion');
    }
    const audiences = [...(options.audiences ?? ['https://login.salesforce.com', 'https://test.salesforce.com']), `http://${String(request.headers.host)}`];
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => a !== undefined && audiences.includes(a.replace(/\/+$/, '')))) return oauthError(400, 'invalid_grant', 'audience is invalid');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) return oauthError(400, 'invalid_grant', 'expired authorization code');
    if (claims.exp > now + MAX_ASSERTION_SECONDS) return oauthError(400, 'invalid_grant', 'invalid assertion');
    const username = claims.sub;
    if (!username || !options.users.includes(username) || (app.preAuthorized && !app.preAuthorized.includes(username)))
      return oauthError(400, 'invalid_grant', "user hasn't approved this consumer");
    return grant(request, 'jwt-bearer', app, username);
  };

  return {
    issue: async (request) => {
      const form = new URLSearchParams(request.rawBody.toString('utf8'));
      const grantType = form.get('grant_type');
      if (grantType === 'client_credentials') return clientCredentials(request, form);
      if (grantType === JWT_BEARER) return jwtBearer(request, form);
      // The password grant, refresh tokens, codes: an integration on this org uses neither.
      return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
    },
    session: (authorization) => {
      const token = String(authorization ?? '').replace(/^(Bearer|OAuth) /, '');
      const session = sessions.get(token);
      return session && session.expiresAt > Date.now() ? session : undefined;
    },
    expireSessions: () => sessions.clear(),
    issued,
  };
}

/** Runs the client credentials flow against a sandbox, for tests and by-hand reads. */
export async function clientCredentialsSession(url: string, app: { clientId: string; clientSecret: string }): Promise<string> {
  const response = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`The sandbox refused the client credentials of ${app.clientId}: ${JSON.stringify(body)}`);
  return body.access_token;
}
