import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  forgetSalesforceSessions,
  jwtBearerAssertion,
  parseSalesforceCredentials,
  salesforceSessions,
} from '../../../../lambdas/common/salesforce-platform/oauth';
import { type SalesforceSandbox, startSalesforceSandbox } from '../../../../local/sandboxes/salesforce/salesforce-sandbox';

// The session source of Salesforce-platform adapters: secret shapes, the JWT it signs, and the per-container cache against the sandbox.
let sandbox: SalesforceSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  forgetSalesforceSessions();
});
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const APP = { clientId: '3MVG9TEST.consumer-key', clientSecret: 'consumer-secret' };
const call = { vendor: 'salesforce', instance: 'salesforce-main', operation: 'session' };
const start = () =>
  startSalesforceSandbox({
    oauth: { apps: [{ ...APP, runAs: 'integration@acme.test', certificate: keys.publicKey }], users: ['integration@acme.test'] },
    fields: { Opportunity: ['Name'] },
  });

describe('Salesforce credentials', () => {
  it('reads the two secret shapes and refuses a static accessToken or an incomplete secret', () => {
    expect(parseSalesforceCredentials({ flow: 'client-credentials', ...APP, loginUrl: 'https://acme.my.salesforce.com' })).toEqual({
      flow: 'client-credentials',
      ...APP,
      loginUrl: 'https://acme.my.salesforce.com',
    });
    expect(
      parseSalesforceCredentials({ flow: 'jwt-bearer', clientId: 'c', username: 'u@acme.test', privateKey: 'pem', audience: 'https://test.salesforce.com' }),
    ).toEqual({
      flow: 'jwt-bearer',
      clientId: 'c',
      username: 'u@acme.test',
      privateKey: 'pem',
      audience: 'https://test.salesforce.com',
    });
    expect(parseSalesforceCredentials({ accessToken: '00D!static' })).toEqual({ problem: expect.stringContaining('static accessToken') });
    expect(parseSalesforceCredentials({ flow: 'jwt-bearer', clientId: 'c' })).toEqual({ problem: expect.stringContaining('username and privateKey') });
    expect(parseSalesforceCredentials({ flow: 'password' })).toEqual({ problem: expect.stringContaining('unknown flow') });
  });

  it('signs the JWT bearer assertion RS256 with iss the consumer key, sub the username, aud the login URL and exp within 3 minutes', async () => {
    const now = new Date('2026-05-01T12:00:00Z');
    const jwt = await jwtBearerAssertion({ flow: 'jwt-bearer', clientId: 'ck', username: 'u@acme.test', privateKey: keys.privateKey }, now);
    const claims = decodeJwt(jwt);

    expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
    expect(claims).toMatchObject({ iss: 'ck', sub: 'u@acme.test', aud: 'https://login.salesforce.com' });
    expect(claims.exp! - now.getTime() / 1000).toBeGreaterThan(0);
    expect(claims.exp! - now.getTime() / 1000).toBeLessThanOrEqual(180);
  });
});

describe('salesforceSessions against the sandbox', () => {
  it('keeps one session per container, shares one new flow among callers refused together, and takes instance_url', async () => {
    sandbox = await start();
    const secret = async () => ({ flow: 'jwt-bearer', clientId: APP.clientId, username: 'integration@acme.test', privateKey: keys.privateKey });
    const a = salesforceSessions({ call, secret, loginUrl: sandbox.url });
    const b = salesforceSessions({ call, secret, loginUrl: sandbox.url });

    const first = await a.session();
    expect(await b.session()).toEqual(first);
    expect(first.instanceUrl).toBe(sandbox.url);
    const [x, y] = await Promise.all([a.refreshSession(), b.refreshSession()]);

    expect(x).toEqual(y);
    expect(x.accessToken).not.toBe(first.accessToken);
    expect(sandbox.sessionsIssued.map((s) => s.flow)).toEqual(['jwt-bearer', 'jwt-bearer']);
  });

  it('does not keep a refused flow: the next call runs it again with the re-read secret', async () => {
    sandbox = await start();
    let secret: Record<string, unknown> = { flow: 'client-credentials', clientId: APP.clientId, clientSecret: 'rotated-away' };
    const sessions = salesforceSessions({ call, secret: async () => secret, loginUrl: sandbox.url });

    await expect(sessions.session()).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    secret = { flow: 'client-credentials', ...APP };

    await expect(sessions.session()).resolves.toMatchObject({ instanceUrl: sandbox.url });
  });

  it('treats a failing token endpoint as unavailable (retried), not as a credentials problem', async () => {
    sandbox = await start();
    sandbox.injectFault({ pathPrefix: '/services/oauth2/token', response: { status: 503, json: {} } });
    const sessions = salesforceSessions({ call, secret: async () => ({ flow: 'client-credentials', ...APP }), loginUrl: sandbox.url });

    await expect(sessions.session()).rejects.toMatchObject({ name: 'VendorUnavailable' });
  });
});
