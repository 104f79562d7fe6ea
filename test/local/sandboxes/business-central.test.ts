import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusinessCentralSandbox, startBusinessCentralSandbox } from '../../../local/sandboxes/business-central/business-central-sandbox';

// Conformance with VENDORS.md (Business Central webhooks), against a plain receiver written here.
let sandbox: BusinessCentralSandbox | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await sandbox?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  sandbox = receiver = undefined;
});

async function receive(answer: (url: URL) => { status: number; body?: string }): Promise<{ url: string; calls: { url: string; body: string }[] }> {
  const calls: { url: string; body: string }[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      calls.push({ url: req.url ?? '/', body });
      const { status, body: out } = answer(url);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(out ?? '');
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}/hook`, calls };
}
const echoToken = (url: URL) => (url.searchParams.has('validationToken') ? { status: 200, body: url.searchParams.get('validationToken')! } : { status: 200 });
const subscribe = (url: string) =>
  fetch(`${sandbox!.url}/api/v2.0/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notificationUrl: url, resource: 'api/v2.0/companies(1)/salesInvoices', clientState: 'our-secret' }) });

describe('Business Central sandbox', () => {
  it('validates the notification URL with a token before creating a subscription that expires in three days', async () => {
    sandbox = await startBusinessCentralSandbox();
    const target = await receive(echoToken);

    const created = (await (await subscribe(target.url)).json()) as { expirationDateTime: string };

    expect(target.calls[0]?.url).toMatch(/validationToken=/);
    expect(Date.parse(created.expirationDateTime) - Date.now()).toBeGreaterThan(3 * 24 * 3600 * 1000 - 60_000);
  });

  it('refuses a subscription whose URL does not echo the token', async () => {
    sandbox = await startBusinessCentralSandbox();
    const target = await receive(() => ({ status: 200, body: 'wrong' }));

    expect((await subscribe(target.url)).status).toBe(400);
    expect(sandbox.subscriptions.size).toBe(0);
  });

  it('notifies value[] entries with the clientState, one collection notification above 1,000 changes', async () => {
    sandbox = await startBusinessCentralSandbox();
    const target = await receive(echoToken);
    await subscribe(target.url);

    await sandbox.change('api/v2.0/companies(1)/salesInvoices', 2);
    await sandbox.change('api/v2.0/companies(1)/salesInvoices', 1001);

    const bodies = target.calls.filter((c) => c.body).map((c) => JSON.parse(c.body) as { value: { changeType: string; clientState: string }[] });
    expect(bodies.map((b) => b.value.map((v) => v.changeType))).toEqual([['updated', 'updated'], ['collection']]);
    expect(bodies[0]!.value[0]!.clientState).toBe('our-secret');
  });

  it('retries a 503, and deletes the subscription after any other error status such as 401', async () => {
    sandbox = await startBusinessCentralSandbox({ maxDeliveryAttempts: 3 });
    let next = 503;
    const target = await receive((url) => (url.searchParams.has('validationToken') ? echoToken(url) : { status: next }));
    await subscribe(target.url);

    expect(await sandbox.change('api/v2.0/companies(1)/salesInvoices', 1)).toEqual([503]);
    expect(target.calls.filter((c) => c.body).length).toBe(3);
    next = 401;
    await sandbox.change('api/v2.0/companies(1)/salesInvoices', 1);
    expect(sandbox.subscriptions.size).toBe(0);
  });

  it('renews with PATCH, validating the URL again', async () => {
    sandbox = await startBusinessCentralSandbox();
    const target = await receive(echoToken);
    const { subscriptionId } = (await (await subscribe(target.url)).json()) as { subscriptionId: string };

    const renewed = await fetch(`${sandbox.url}/api/v2.0/subscriptions/${subscriptionId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(renewed.status).toBe(200);
    expect(target.calls.filter((c) => c.url.includes('validationToken'))).toHaveLength(2);
  });
});
