import { createHash } from 'node:crypto';
import { VendorAuthenticationError, type VendorCall } from '../common/errors';
import { vendorRequest } from '../common/http/vendor-http';
import { hubSpotErrorFor } from './hubspot-crm';

/**
 * How the adapter authenticates to a HubSpot portal, from the instance's secret: a private app's
 * static access token, or a public app installed in the portal (OAuth), whose refresh token mints
 * access tokens that expire (30 minutes).
 */
export type HubSpotCredentials =
  | { readonly kind: 'private-app'; readonly accessToken: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string };

/**
 * Reads the credentials from the secret's JSON. A `refreshToken` selects OAuth (and then needs
 * `clientId` and `clientSecret`); otherwise `accessToken` is a private app's token.
 */
export function hubSpotCredentials(instance: string, secret: Readonly<Record<string, unknown>>): HubSpotCredentials {
  const text = (key: string): string | undefined => (typeof secret[key] === 'string' && secret[key] !== '' ? secret[key] : undefined);
  const [refreshToken, clientId, clientSecret, accessToken] = [text('refreshToken'), text('clientId'), text('clientSecret'), text('accessToken')];
  if (refreshToken !== undefined && clientId !== undefined && clientSecret !== undefined) return { kind: 'oauth', clientId, clientSecret, refreshToken };
  if (refreshToken === undefined && accessToken !== undefined) return { kind: 'private-app', accessToken };
  // A secret a person must mend: the same error as refused credentials, so it lands with a person.
  throw new VendorAuthenticationError({
    vendor: 'hubspot',
    instance,
    operation: 'reading its secret, which needs accessToken (private app) or clientId, clientSecret and refreshToken (OAuth)',
  });
}

/** HubSpot's current OAuth token endpoint; v1 (`/oauth/v1/token`) is deprecated. Parameters go in the form body. */
export const HUBSPOT_TOKEN_PATH = '/oauth/2026-03/token';

interface CachedToken {
  /** Which app and refresh token minted it: a rotated secret mints anew. */
  readonly fingerprint: string;
  readonly token: Promise<{ value: string; renewAt: number }>;
}

// Per container (module scope), because adapters are built per call; one token serves every call
// of the instance until shortly before it expires.
const tokens = new Map<string, CachedToken>();

/** Options of {@link HubSpotAccessTokens}. */
export interface HubSpotAccessTokenOptions {
  readonly instance: string;
  /** @default https://api.hubapi.com */
  readonly baseUrl?: string;
  readonly requestTimeoutMs?: number;
  /** The instance's credentials; `forceFetch` re-reads the secret (after a 401, to pick up a rotation). */
  readonly credentials: (forceFetch: boolean) => Promise<HubSpotCredentials>;
  readonly now?: () => number;
}

/**
 * The bearer token of HubSpot calls. A private app's token is the secret's; an OAuth token is minted
 * with the refresh-token grant, cached per container and renewed shortly before it expires. After a
 * 401, `refreshed` re-reads the secret and, for OAuth, mints a new token: a refresh, not a retry.
 */
export class HubSpotAccessTokens {
  constructor(private readonly options: HubSpotAccessTokenOptions) {}

  /** The token for the next call. */
  async current(): Promise<string> {
    return this.bearer(false);
  }

  /** A fresh token after a 401: the secret read anew, and for OAuth a newly minted access token. */
  async refreshed(): Promise<string> {
    return this.bearer(true);
  }

  private async bearer(afterRefusal: boolean): Promise<string> {
    const credentials = await this.options.credentials(afterRefusal);
    if (credentials.kind === 'private-app') return credentials.accessToken;
    const now = this.options.now ?? Date.now;
    const key = `${this.options.instance}\n${this.baseUrl}`;
    const fingerprint = createHash('sha256').update(`${credentials.clientId}\n${credentials.clientSecret}\n${credentials.refreshToken}`).digest('hex');
    const cached = tokens.get(key);
    if (!afterRefusal && cached?.fingerprint === fingerprint) {
      const token = await cached.token.catch(() => undefined);
      if (token !== undefined && token.renewAt > now()) return token.value;
    }
    // One mint in flight per instance: concurrent calls of a container share it.
    const fresh = this.mint(credentials, now);
    const entry = { fingerprint, token: fresh };
    tokens.set(key, entry);
    try {
      return (await fresh).value;
    } catch (error) {
      if (tokens.get(key) === entry) tokens.delete(key);
      throw error;
    }
  }

  private get baseUrl(): string {
    return this.options.baseUrl ?? 'https://api.hubapi.com';
  }

  private async mint(credentials: Extract<HubSpotCredentials, { kind: 'oauth' }>, now: () => number): Promise<{ value: string; renewAt: number }> {
    const call: VendorCall = { vendor: 'hubspot', instance: this.options.instance, operation: 'refresh access token' };
    const response = await vendorRequest(call, `${this.baseUrl}${HUBSPOT_TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        refresh_token: credentials.refreshToken,
      }).toString(),
      ...(this.options.requestTimeoutMs === undefined ? {} : { timeoutMs: this.options.requestTimeoutMs }),
    });
    // HubSpot's changelog shows snake_case fields; its API reference renders them camelCase: read either.
    const body = response.json<{ access_token?: unknown; accessToken?: unknown; expires_in?: unknown; expiresIn?: unknown }>();
    const accessToken = body?.access_token ?? body?.accessToken;
    const expiresIn = body?.expires_in ?? body?.expiresIn;
    if (response.status === 200 && typeof accessToken === 'string' && accessToken !== '') {
      const lifetimeMs = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 1800) * 1000;
      // Renewed a minute early (a tenth of the lifetime when shorter), so no call carries a token that dies in flight.
      return { value: accessToken, renewAt: now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    }
    // A refused grant (unknown or revoked refresh token, wrong client secret) needs a person.
    if (response.status === 400 || response.status === 401 || response.status === 403) throw new VendorAuthenticationError(call);
    throw hubSpotErrorFor(call, response);
  }
}
