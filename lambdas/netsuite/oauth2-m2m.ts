import { importPKCS8, SignJWT } from 'jose';
import { VendorAuthenticationError, type VendorCall } from '../common/errors';
import { type VendorResponse, vendorRequest } from '../common/http/vendor-http';

/**
 * NetSuite's OAuth 2.0 client credentials (machine-to-machine) flow: a JWT client assertion signed with
 * the private key of the certificate mapped to the integration record, exchanged at the account's token
 * endpoint for a 60-minute bearer token.
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162755359851.html
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162790605110.html
 */

/** The signing algorithms NetSuite accepts for the assertion. */
export const NETSUITE_ASSERTION_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type NetSuiteAssertionAlgorithm = (typeof NETSUITE_ASSERTION_ALGORITHMS)[number];

/** What the instance's secret holds for the client credentials flow. */
export interface ClientCredentialsAuth {
  readonly accountId: string;
  /** The integration record's client id (consumer key): the assertion's `iss`. */
  readonly clientId: string;
  /** The certificate id NetSuite shows on its OAuth 2.0 Client Credentials (M2M) Setup mapping: the assertion's `kid`. */
  readonly certificateId: string;
  /** The certificate's private key, PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKey: string;
  /** @default PS256 */
  readonly algorithm?: NetSuiteAssertionAlgorithm;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';
/** Short: an assertion is used once, right away; NetSuite allows under 60 minutes. */
const ASSERTION_LIFETIME_SECONDS = 300;
/** A token is renewed this long before NetSuite says it expires, so no call carries one that lapses in flight. */
const RENEW_MARGIN_MS = 60_000;

/** The signed assertion for one token request to `tokenUrl` (also its `aud`). */
export async function clientAssertion(credentials: ClientCredentialsAuth, tokenUrl: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const alg = credentials.algorithm ?? 'PS256';
  if (!NETSUITE_ASSERTION_ALGORITHMS.includes(alg))
    throw new Error(`NetSuite does not accept ${alg} assertions; use one of ${NETSUITE_ASSERTION_ALGORITHMS.join(', ')}`);
  const key = await importPKCS8(credentials.privateKey, alg);
  // NetSuite's example sends scope as a JSON array.
  return new SignJWT({ scope: ['rest_webservices'] })
    .setProtectedHeader({ alg, typ: 'JWT', kid: credentials.certificateId })
    .setIssuer(credentials.clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

/** Tokens per token URL and client, kept in module scope so every invocation of a warm container reuses them. */
const tokens = new Map<string, { value: string; expiresAt: number }>();
/** Token requests in flight, so concurrent calls share one. */
const pending = new Map<string, Promise<string>>();

function cacheKey(credentials: ClientCredentialsAuth, tokenUrl: string): string {
  return `${tokenUrl} ${credentials.clientId} ${credentials.certificateId}`;
}

/**
 * A valid access token for the client: the cached one, or a new one from `tokenUrl`. A refused grant (400
 * or 401) is an authentication failure; anything else is mapped by `errorFor` like any NetSuite error.
 */
export async function accessToken(
  call: VendorCall,
  credentials: ClientCredentialsAuth,
  tokenUrl: string,
  errorFor: (call: VendorCall, response: VendorResponse) => Error,
): Promise<string> {
  const key = cacheKey(credentials, tokenUrl);
  const cached = tokens.get(key);
  if (cached && cached.expiresAt - RENEW_MARGIN_MS > Date.now()) return cached.value;
  const inFlight = pending.get(key);
  if (inFlight) return inFlight;
  const request = (async () => {
    if (!credentials.certificateId || !credentials.privateKey) {
      // A secret in the old shape (clientSecret): NetSuite's M2M flow has no use for a client secret.
      throw new VendorAuthenticationError(call, { cause: new Error('the oauth2 secret needs certificateId and privateKey (see docs/vendors/netsuite.md)') });
    }
    const response = await vendorRequest({ ...call, operation: 'token' }, tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await clientAssertion(credentials, tokenUrl),
      }).toString(),
    });
    const token = response.json<{ access_token?: string; expires_in?: number | string }>();
    if (response.status !== 200 || !token?.access_token) {
      if (response.status === 400 || response.status === 401) throw new VendorAuthenticationError(call);
      throw errorFor(call, response);
    }
    // NetSuite documents a 60-minute token (expires_in 3600); read it as a number whether sent as one or as text.
    const lifetime = Number(token.expires_in ?? 3600);
    tokens.set(key, { value: token.access_token, expiresAt: Date.now() + (Number.isFinite(lifetime) ? lifetime : 3600) * 1000 });
    return token.access_token;
  })();
  pending.set(key, request);
  try {
    return await request;
  } finally {
    pending.delete(key);
  }
}

/** Forgets `token` after NetSuite refused it, unless a concurrent call has already replaced it. */
export function forgetAccessToken(credentials: ClientCredentialsAuth, tokenUrl: string, token: string): void {
  const key = cacheKey(credentials, tokenUrl);
  if (tokens.get(key)?.value === token) tokens.delete(key);
}
