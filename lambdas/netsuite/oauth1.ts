import { createHmac, randomBytes } from 'node:crypto';

/** NetSuite token-based authentication credentials (OAuth 1.0a). */
export interface TokenBasedAuth {
  readonly accountId: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly tokenId: string;
  readonly tokenSecret: string;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a requires (stricter than encodeURIComponent). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The OAuth 1.0a signature base string (RFC 5849 §3.4.1): method, base URL without query, and the
 * sorted, encoded query and oauth_* parameters. NetSuite signs query parameters, not the JSON body.
 */
export function signatureBaseString(method: string, url: string, oauthParams: Readonly<Record<string, string>>): string {
  const parsed = new URL(url);
  const params: [string, string][] = [...parsed.searchParams.entries(), ...Object.entries(oauthParams)];
  const normalized = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const baseUrl = `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname}`;
  return [method.toUpperCase(), percentEncode(baseUrl), percentEncode(normalized)].join('&');
}

/**
 * The Authorization header for one NetSuite REST request, HMAC-SHA256 with the account as realm.
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534941295.html
 */
export function tokenBasedAuthorization(
  credentials: TokenBasedAuth,
  method: string,
  url: string,
  options: { nonce?: string; timestamp?: number } = {},
): string {
  const oauth: Record<string, string> = {
    oauth_consumer_key: credentials.consumerKey,
    oauth_token: credentials.tokenId,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_nonce: options.nonce ?? randomBytes(16).toString('hex'),
    oauth_version: '1.0',
  };
  const key = `${percentEncode(credentials.consumerSecret)}&${percentEncode(credentials.tokenSecret)}`;
  const signature = createHmac('sha256', key)
    .update(signatureBaseString(method, url, oauth))
    .digest('base64');
  const header = { realm: credentials.accountId, ...oauth, oauth_signature: signature };
  return (
    'OAuth ' +
    Object.entries(header)
      .map(([k, v]) => `${k}="${k === 'realm' ? v : percentEncode(v)}"`)
      .join(', ')
  );
}
