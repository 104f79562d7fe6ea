import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hubSpotSigningUri, verifyHubSpotSignature } from '../../../lambdas/hubspot/webhook-signature';

const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const now = 1_760_000_000_000;
const url = 'https://hooks.example.com/prod/webhooks/hubspot/hubspot-main';
const body = Buffer.from('[{"eventId":1,"subscriptionType":"deal.propertyChange","propertyValue":"Yllä"}]', 'utf8');

// Written out from HubSpot's description rather than by calling the code under test.
function sign(signedUri: string, raw: Buffer, timestamp: string, key = secret): string {
  return createHmac('sha256', key)
    .update(`POST${signedUri}${raw.toString('utf8')}${timestamp}`, 'utf8')
    .digest('base64');
}

describe('verifyHubSpotSignature', () => {
  it('accepts a request signed over method, URI, raw body and timestamp', () => {
    const ts = String(now - 1000);
    const result = verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: ts, signature: sign(url, body, ts) }, [secret], now);

    expect(result).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret, or over a body that differs only in white space', () => {
    const ts = String(now);
    const spaced = Buffer.from(body.toString('utf8').replace(',', ', '), 'utf8');

    expect(
      verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: ts, signature: sign(url, body, ts, 'other') }, [secret], now),
    ).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: spaced, timestamp: ts, signature: sign(url, body, ts) }, [secret], now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a timestamp more than five minutes old or ahead, even with a valid signature', () => {
    for (const ts of [String(now - 300_001), String(now + 300_001)]) {
      expect(verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: ts, signature: sign(url, body, ts) }, [secret], now)).toEqual({
        ok: false,
        reason: 'stale-timestamp',
      });
    }
    const edge = String(now - 300_000);
    expect(verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: edge, signature: sign(url, body, edge) }, [secret], now).ok).toBe(
      true,
    );
  });

  it('names a missing signature or timestamp', () => {
    expect(verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: String(now), signature: undefined }, [secret], now)).toEqual({
      ok: false,
      reason: 'missing-signature',
    });
    expect(verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, timestamp: 'yesterday', signature: 'x' }, [secret], now)).toEqual({
      ok: false,
      reason: 'missing-timestamp',
    });
  });

  it('accepts either secret while a client secret is being rotated', () => {
    const ts = String(now);

    expect(
      verifyHubSpotSignature(
        { method: 'POST', publicUrl: url, rawBody: body, timestamp: ts, signature: sign(url, body, ts, 'new-secret') },
        [secret, 'new-secret'],
        now,
      ).ok,
    ).toBe(true);
  });

  it('signs the URI with the documented escapes decoded and other escapes kept', () => {
    expect(hubSpotSigningUri('https://h.example.com/hook%3Fa%3Db%2Cc%20d%2a')).toBe('https://h.example.com/hook?a%3Db,c%20d*');

    const encodedUrl = 'https://hooks.example.com/webhooks/hubspot%2Fmain';
    const ts = String(now);
    const signature = sign('https://hooks.example.com/webhooks/hubspot/main', body, ts);
    expect(verifyHubSpotSignature({ method: 'POST', publicUrl: encodedUrl, rawBody: body, timestamp: ts, signature }, [secret], now).ok).toBe(true);
  });
});
