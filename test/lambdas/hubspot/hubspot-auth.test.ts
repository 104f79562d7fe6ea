import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotAccessTokens, type HubSpotCredentials, hubSpotCredentials } from '../../../lambdas/hubspot/hubspot-auth';
import { HubSpotCrm } from '../../../lambdas/hubspot/hubspot-crm';
import { type HubSpotSandbox, startHubSpotSandbox } from '../../../local/sandboxes/hubspot/hubspot-sandbox';
import { exampleConfig } from '../../support/example-config';

// The OAuth refresh-token option against the sandbox's token endpoint. Tokens are cached per container
// (module scope), so each test uses an instance name of its own.
const fields = exampleConfig().vendorInstances.find((v) => v.id === 'hubspot-main')!.crm!.fields;
let sandbox: HubSpotSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const oauth = (overrides: Partial<Extract<HubSpotCredentials, { kind: 'oauth' }>> = {}): HubSpotCredentials => ({
  kind: 'oauth',
  clientId: 'app-1',
  clientSecret: 'app-secret',
  refreshToken: 'rt-1',
  ...overrides,
});

async function start(lifetimeSeconds = 1800) {
  sandbox = await startHubSpotSandbox({
    portalId: 1,
    clientSecret: 'app-secret',
    accessTokens: ['pat-1'],
    oauth: { clientId: 'app-1', refreshTokens: ['rt-1', 'rt-2'], accessTokenLifetimeSeconds: lifetimeSeconds },
  });
  const { id } = (await (
    await fetch(`${sandbox.url}/__sandbox/deals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deal: { dealname: 'D' } }),
    })
  ).json()) as { id: string };
  return id;
}

function tokens(read: (forceFetch: boolean) => HubSpotCredentials, options: { now?: () => number } = {}) {
  const reads: boolean[] = [];
  const source = new HubSpotAccessTokens({
    instance: `hubspot-${randomUUID()}`,
    baseUrl: sandbox!.url,
    credentials: async (forceFetch) => (reads.push(forceFetch), read(forceFetch)),
    ...options,
  });
  return { source, reads };
}

const tokenCalls = () => sandbox!.requests.filter((r) => r.path === '/oauth/2026-03/token');

/** The HubSpot adapter on the sandbox, its tokens from `source` as the wiring gives them. */
function crmWith(source: { current(): Promise<string>; refreshed(): Promise<string> }): HubSpotCrm {
  return new HubSpotCrm({ instance: 'h', baseUrl: sandbox!.url, accessToken: () => source.current(), refreshAccessToken: () => source.refreshed(), fields });
}
describe('hubSpotCredentials', () => {
  it('reads a private-app token, or an OAuth app with its refresh token, and refuses a secret with neither', () => {
    expect(hubSpotCredentials('h', { accessToken: 'pat', clientSecret: 's' })).toEqual({ kind: 'private-app', accessToken: 'pat' });
    expect(hubSpotCredentials('h', { clientId: 'c', clientSecret: 's', refreshToken: 'r' })).toEqual({
      kind: 'oauth',
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
    });
    expect(() => hubSpotCredentials('h', { clientSecret: 's' })).toThrow(expect.objectContaining({ name: 'VendorAuthenticationFailed' }));
    // A refresh token without its app's client id is a half-made OAuth secret, not a private app.
    expect(() => hubSpotCredentials('h', { accessToken: 'pat', clientSecret: 's', refreshToken: 'r' })).toThrow(/clientId, clientSecret and refreshToken/);
  });
});

describe('HubSpotAccessTokens against the HubSpot sandbox', () => {
  it('passes a private-app token through, and re-reads the secret after a 401', async () => {
    await start();
    const { source, reads } = tokens(() => ({ kind: 'private-app', accessToken: 'pat-1' }));

    expect([await source.current(), await source.refreshed()]).toEqual(['pat-1', 'pat-1']);
    expect(reads).toEqual([false, true]);
    expect(tokenCalls()).toEqual([]);
  });

  it('mints an access token with the refresh-token grant and keeps it for every call until shortly before it expires', async () => {
    const id = await start();
    let clock = Date.now();
    const { source } = tokens(() => oauth(), { now: () => clock });
    const hubspot = crmWith(source);

    await hubspot.readDeal(id);
    await hubspot.readDeal(id);
    expect(tokenCalls()).toHaveLength(1);
    clock += 1800_000 - 59_000;
    await hubspot.readDeal(id);

    expect(tokenCalls()).toHaveLength(2);
    const dealReads = sandbox!.requests.filter((r) => r.path.startsWith('/crm/v3/objects/deals/'));
    expect(dealReads.every((r) => r.status === 200)).toBe(true);
  });

  it('shares one mint between concurrent calls of a container', async () => {
    await start();
    const { source } = tokens(() => oauth());

    const bearers = await Promise.all([source.current(), source.current(), source.current()]);

    expect(new Set(bearers).size).toBe(1);
    expect(tokenCalls()).toHaveLength(1);
  });

  it('mints anew once after a 401 (an expired token), then the call succeeds', async () => {
    const id = await start(1);
    // The container's clock stands still while HubSpot's runs on: the cached token looks alive but is refused.
    const frozen = Date.now();
    const { source, reads } = tokens(() => oauth(), { now: () => frozen });
    const hubspot = crmWith(source);
    await source.current();
    await new Promise((r) => setTimeout(r, 1100));

    await expect(hubspot.readDeal(id)).resolves.toMatchObject({ deal: { id } });

    expect(reads).toEqual([false, false, true]);
    expect(tokenCalls()).toHaveLength(2);
    expect(sandbox!.requests.filter((r) => r.path.startsWith('/crm/')).map((r) => r.status)).toEqual([401, 200]);
  });

  it('fails as an authentication error, for a person, when HubSpot refuses the refresh token or the client secret', async () => {
    await start();

    await expect(tokens(() => oauth({ refreshToken: 'revoked' })).source.current()).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
    await expect(tokens(() => oauth({ clientSecret: 'old' })).source.current()).rejects.toMatchObject({ name: 'VendorAuthenticationFailed' });
  });

  it('picks up a rotated refresh token from the secret without waiting for the cached token to expire', async () => {
    await start();
    let refreshToken = 'rt-1';
    const { source } = tokens(() => oauth({ refreshToken }));
    const first = await source.current();

    refreshToken = 'rt-2';
    const second = await source.current();

    expect(second).not.toBe(first);
    expect(tokenCalls().map((r) => r.status)).toEqual([200, 200]);
    expect([...sandbox!.issuedAccessTokens.keys()]).toEqual([first, second]);
  });
});
