import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { percentEncode, signatureBaseString, tokenBasedAuthorization } from '../../../lambdas/netsuite/oauth1';

describe('OAuth 1.0a for NetSuite', () => {
  it('builds the RFC 5849 section 3.4.1.1 example base string', () => {
    // RFC 5849's worked example (the body parameters of its form request are left out: NetSuite's JSON body is not signed).
    const base = signatureBaseString('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', {
      oauth_consumer_key: '9djdj82h48djs9d2',
      oauth_token: 'kkk9d7dh3k39sjv7',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131201',
      oauth_nonce: '7d8f3e4a',
    });

    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('signs with HMAC-SHA256 over consumer and token secrets, with the account as realm', () => {
    const credentials = { accountId: '1234567_SB1', consumerKey: 'ck', consumerSecret: 'cs&1', tokenId: 'tk', tokenSecret: 'ts' };
    const url = 'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/eid:abc?expand=true';

    const header = tokenBasedAuthorization(credentials, 'put', url, { nonce: 'n1', timestamp: 1_760_000_000 });

    const expected = createHmac('sha256', 'cs%261&ts')
      .update(
        signatureBaseString('PUT', url, {
          oauth_consumer_key: 'ck',
          oauth_token: 'tk',
          oauth_signature_method: 'HMAC-SHA256',
          oauth_timestamp: '1760000000',
          oauth_nonce: 'n1',
          oauth_version: '1.0',
        }),
      )
      .digest('base64');
    expect(header).toContain('realm="1234567_SB1"');
    expect(header).toContain(`oauth_signature="${percentEncode(expected)}"`);
    expect(header).toContain('oauth_signature_method="HMAC-SHA256"');
  });
});
