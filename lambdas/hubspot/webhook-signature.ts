import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HubSpot's v3 request signature: base64(HMAC-SHA256(client secret, method + URI + raw body +
 * timestamp)), with a documented set of percent-escapes decoded in the URI first.
 * https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests
 */

/**
 * The escapes HubSpot decodes in the request URI before signing; every other escape stays as sent.
 * Our URIs carry no query string (the intake refuses one), so only a configured base path could hold
 * an escape; the table still applies there.
 */
const DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** HubSpot refuses to sign requests older than this, and so do we. */
export const HUBSPOT_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/** The URI as HubSpot signs it: the public URL it called, with the documented escapes decoded. */
export function hubSpotSigningUri(publicUrl: string): string {
  return publicUrl.replace(/%[0-9A-Fa-f]{2}/g, (escape) => DECODED_ESCAPES[escape.toUpperCase()] ?? escape);
}

/** What a verification needs: the request as received and the app's client secret. */
export interface HubSpotSignedRequest {
  readonly method: string;
  /**
   * The full public URL HubSpot called: scheme, host, stage or custom-domain path and the function's
   * path. Never a query string: one cannot be rebuilt byte for byte from API Gateway's decoded values,
   * so the intake refuses such requests before verifying.
   */
  readonly publicUrl: string;
  /** The body bytes exactly as received: re-serialised JSON would not verify. */
  readonly rawBody: Buffer;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
}

/** Why a request was refused, as a code the handler maps to a 401 with a reason. */
export type SignatureRejection = 'missing-signature' | 'missing-timestamp' | 'stale-timestamp' | 'bad-signature';

/**
 * Verifies a v3 signature in constant time and checks the timestamp window (both directions, so a
 * clock far ahead cannot mint long-lived signatures). Rotation is supported by passing every secret
 * currently valid.
 */
export function verifyHubSpotSignature(
  request: HubSpotSignedRequest,
  clientSecrets: readonly string[],
  nowMs: number,
): { ok: true } | { ok: false; reason: SignatureRejection } {
  if (!request.signature) return { ok: false, reason: 'missing-signature' };
  if (!request.timestamp || !/^\d{1,15}$/.test(request.timestamp)) return { ok: false, reason: 'missing-timestamp' };
  if (Math.abs(nowMs - Number(request.timestamp)) > HUBSPOT_SIGNATURE_TOLERANCE_MS) return { ok: false, reason: 'stale-timestamp' };

  const received = Buffer.from(request.signature, 'base64');
  const signedBytes = Buffer.concat([
    Buffer.from(request.method.toUpperCase() + hubSpotSigningUri(request.publicUrl), 'utf8'),
    request.rawBody,
    Buffer.from(request.timestamp, 'utf8'),
  ]);
  const matches = clientSecrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(signedBytes).digest();
    return expected.length === received.length && timingSafeEqual(expected, received);
  });
  return matches ? { ok: true } : { ok: false, reason: 'bad-signature' };
}
