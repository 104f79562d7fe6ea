import { VendorAuthenticationError, type VendorCall } from '../errors';
import { type VendorResponse, vendorRequest } from './vendor-http';

/**
 * Sends a vendor request, and once more with freshly read credentials after a 401 (an expired token
 * or a rotated secret). This is a refresh, not a retry: a second 401 is a person's problem, reported as
 * `refused` (VendorAuthenticationError unless the vendor has a more precise one). `onRefresh` forgets a
 * cached token before the second attempt.
 */
export async function sendWithOneRefresh<C>(
  call: VendorCall,
  credentials: { current: () => Promise<C>; refreshed: () => Promise<C> },
  attempt: (credentials: C) => Promise<VendorResponse>,
  { onRefresh, refused }: { onRefresh?: () => void; refused?: (call: VendorCall) => Error } = {},
): Promise<VendorResponse> {
  const first = await attempt(await credentials.current());
  if (first.status !== 401) return first;
  onRefresh?.();
  const second = await attempt(await credentials.refreshed());
  if (second.status === 401) throw refused?.(call) ?? new VendorAuthenticationError(call);
  return second;
}

/**
 * An OAuth 2.0 client-credentials token, cached until shortly before it expires. `request` performs
 * the vendor's token call; a refused grant is an authentication failure, anything else is mapped by
 * `errorFor` like any vendor error.
 */
export class ClientCredentialsToken {
  private token: { value: string; expiresAt: number } | undefined;

  constructor(private readonly errorFor: (call: VendorCall, response: VendorResponse) => Error) {}

  /** A valid access token, fetched from `init.url` when none is cached or it expires within 30 s. */
  async bearer(call: VendorCall, init: { url: string; headers: Record<string, string>; body: string }): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 30_000) return this.token.value;
    const response = await vendorRequest({ ...call, operation: 'token' }, init.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
      body: init.body,
    });
    const token = response.json<{ access_token?: string; expires_in?: number }>();
    if (response.status !== 200 || !token?.access_token) {
      if (response.status === 400 || response.status === 401) throw new VendorAuthenticationError(call);
      throw this.errorFor(call, response);
    }
    this.token = { value: token.access_token, expiresAt: Date.now() + (token.expires_in ?? 3600) * 1000 };
    return token.access_token;
  }

  /** Forgets the cached token (after a 401). */
  invalidate(): void {
    this.token = undefined;
  }
}
