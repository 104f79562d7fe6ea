import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../sandbox-kit';

/**
 * The Microsoft Entra ID token endpoint of one tenant, as a BC integration uses it: the OAuth 2.0
 * client-credentials grant (`POST /{tenant}/oauth2/v2.0/token`, form-encoded) for the scope
 * `https://api.businesscentral.dynamics.com/.default`, answering Entra's JSON errors with their
 * AADSTS codes. https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */

/** The one scope BC's API accepts for the client-credentials grant. */
export const BUSINESS_CENTRAL_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
/** Access tokens live an hour; Entra reports one second less. */
const TOKEN_LIFETIME_SECONDS = 3599;

/** The app registration the endpoint knows. */
export interface EntraApp {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** How long issued tokens live, so tests can see one expire. @default 3599 */
  readonly tokenLifetimeSeconds?: number;
}

/** The token endpoint and the tokens it issued. */
export interface EntraTokenEndpoint {
  /** Answers a token request made to `/{tenant}/oauth2/v2.0/token`. */
  issue(request: SandboxRequest): SandboxResponse;
  /** The client id a `Bearer` authorization header was issued to, or undefined when it is missing, unknown or expired. */
  principal(authorization: string | undefined): string | undefined;
  /** Expires every token issued so far. */
  revoke(): void;
}

function entraError(status: number, error: string, code: number, description: string): SandboxResponse {
  return {
    status,
    json: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

/** Creates the endpoint for one app registration. */
export function createEntraTokenEndpoint(app: EntraApp): EntraTokenEndpoint {
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  return {
    issue(request) {
      const tenant = decodeURIComponent(request.path.split('/')[1] ?? '');
      if (tenant !== app.tenantId) return entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
      const form = new URLSearchParams(request.rawBody.toString('utf8'));
      if (form.get('grant_type') !== 'client_credentials')
        return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
      if (form.get('client_id') !== app.clientId) {
        return entraError(
          401,
          'invalid_client',
          700016,
          `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${app.tenantId}'.`,
        );
      }
      if (!form.get('client_secret'))
        return entraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      if (form.get('client_secret') !== app.clientSecret) {
        return entraError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
      if (form.get('scope') !== BUSINESS_CENTRAL_SCOPE)
        return entraError(
          400,
          'invalid_scope',
          70011,
          `The provided value for the input parameter 'scope' is not valid. The scope ${form.get('scope') ?? ''} is not valid.`,
        );
      const token = randomBytes(32).toString('base64url');
      const lifetime = app.tokenLifetimeSeconds ?? TOKEN_LIFETIME_SECONDS;
      tokens.set(token, { clientId: app.clientId, expiresAt: Date.now() + lifetime * 1000 });
      return { status: 200, json: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
    },
    principal(authorization) {
      const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      const issued = token === undefined ? undefined : tokens.get(token);
      return issued !== undefined && issued.expiresAt > Date.now() ? issued.clientId : undefined;
    },
    revoke() {
      tokens.clear();
    },
  };
}
