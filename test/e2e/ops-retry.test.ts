import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsTarget, runOps } from '../../bin/ops';
import type { InboxEntry } from '../../lambdas/ops/exception-inbox';
import { LOCAL_OPERATOR } from '../../local/aws/local-operator';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// Fix and resume: Kantata is down past every retry, so the deal's execution stops at CreatePsaProject
// (not on its business path), its status change becomes an exception in the inbox, and once Kantata is
// back the operator's retry redrives it from that step: the customer made before is not made again, the
// workspace is made once, and the exception resolves itself when the run succeeds.
let env: LocalEnvironment;
let target: OpsTarget;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
  target = { url: env.stack.opsApiUrl!, region: 'us-east-1', credentials: LOCAL_OPERATOR };
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };
const ops = (...args: string[]) => runOps(args, target);
const listed = async () => JSON.parse((await ops('exceptions', 'list', '--json')).output) as InboxEntry[];
const win = async (deal: string) => {
  await fetch(`${env.hubspot.url}/__sandbox/deals/${deal}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
  await env.settled();
};

/** Nothing open, and the exception's history: resolved by the run the operator's one retry started. */
async function expectResolvedByRetry(ref: string, how: 'redrive' | 'restart', execution: string): Promise<void> {
  expect(await listed()).toEqual([]);
  const shown = JSON.parse((await ops('exceptions', 'show', ref, '--json')).output) as { history: InboxEntry[] };
  expect(shown.history).toEqual([
    expect.objectContaining({ state: 'resolved', opsAttempts: 1, lastRetry: expect.objectContaining({ how, execution, by: LOCAL_OPERATOR.userArn }) }),
  ]);
}

/** Kantata's workspace creation down past every retry: a deal won now stops at CreatePsaProject. */
const kantataDown = () =>
  fetch(`${env.kantata.url}/__sandbox/faults`, {
    method: 'POST',
    body: JSON.stringify({ method: 'POST', pathPrefix: '/api/v1/workspaces', times: 1000, response: { status: 503 } }),
  });

describe('retrying a failed execution from the inbox', () => {
  it('records an execution that stopped at a task after its retries as an exception to resume, and resumes it from that step', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Monks Cafe' });
    await kantataDown();
    await win(deal);

    const name = `hubspot-main-${deal}-r1`;
    const execution = () => env.stack.stepFunctions.executions.find((e) => e.name === name)!;
    expect(execution()).toMatchObject({ status: 'FAILED', error: 'VendorUnavailable', failedState: { name: 'CreatePsaProject' } });
    const ref = `opportunity-to-project/opportunity/hubspot-main:${deal}`;
    expect(await listed()).toEqual([
      expect.objectContaining({
        ref,
        state: 'open',
        ownerTeam: 'sales-operations',
        occurrences: 1,
        execution: name,
        reason: expect.stringMatching(/^VendorUnavailable: /),
        remediation: expect.stringContaining('npm run ops -- exceptions retry'),
      }),
    ]);
    const customerWrites = () => env.netsuite.us.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/services/rest/record/v1/customer/')).length;
    const writesBefore = customerWrites();
    expect(writesBefore).toBe(1);

    await fetch(`${env.kantata.url}/__sandbox/faults`, { method: 'DELETE' });
    const retried = await ops('exceptions', 'retry', ref);
    expect(retried).toEqual({ exitCode: 0, output: `${ref}: retrying (attempt 1): ${name} redriven from its failed step` });
    await env.settled();

    expect(execution()).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    // Redriven from CreatePsaProject: the customer step did not run again; one workspace, ids on the deal.
    expect(customerWrites()).toBe(writesBefore);
    const workspaces = env.kantata.objects('workspaces').filter((w) => String(w.title).includes('Monks Cafe'));
    expect(workspaces).toHaveLength(1);
    expect(env.hubspot.object('deals', deal)?.properties).toMatchObject({ ps_sync_status: 'synced', ps_psa_project_id: String(workspaces[0]!.id) });
    // The run's success resolved the exception; its history shows the operator's retry.
    await expectResolvedByRetry(ref, 'redrive', name);
  });

  it('records it open again when the resumed execution fails again, and a second retry completes it once', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Tom Diner' });
    await kantataDown();
    await win(deal);
    const ref = `opportunity-to-project/opportunity/hubspot-main:${deal}`;

    expect((await ops('exceptions', 'retry', ref)).exitCode).toBe(0);
    await env.settled();
    expect(await listed()).toEqual([expect.objectContaining({ ref, state: 'open', occurrences: 2, opsAttempts: 1 })]);

    await fetch(`${env.kantata.url}/__sandbox/faults`, { method: 'DELETE' });
    expect((await ops('exceptions', 'retry', ref)).output).toContain('(attempt 2)');
    await env.settled();
    expect(env.kantata.objects('workspaces').filter((w) => String(w.title).includes('Tom Diner'))).toHaveLength(1);
    expect(await listed()).toEqual([]);
  });

  it('starts an execution that failed more than 14 days ago again under a new name, which completes the deal once', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Bluebird Bakery' });
    await kantataDown();
    await win(deal);

    const name = `hubspot-main-${deal}-r1`;
    const restarted = `${name}-ops1`;
    const executionNamed = (n: string) => env.stack.stepFunctions.executions.find((e) => e.name === n);
    expect(executionNamed(name)).toMatchObject({ status: 'FAILED', error: 'VendorUnavailable', failedState: { name: 'CreatePsaProject' } });
    const ref = `opportunity-to-project/opportunity/hubspot-main:${deal}`;
    expect(await listed()).toEqual([expect.objectContaining({ ref, state: 'open', execution: name })]);
    const customers = () => env.netsuite.us.records('customer').filter((c) => String(c.companyName).includes('Bluebird Bakery'));
    const workspaces = () => env.kantata.objects('workspaces').filter((w) => String(w.title).includes('Bluebird Bakery'));
    expect(customers()).toHaveLength(1);
    expect(workspaces()).toHaveLength(0);

    // Two weeks and a day later the vendor is back, and the failed execution is past its redrive window.
    env.stack.stepFunctions.advanceClock(15 * 24 * 3600_000);
    await fetch(`${env.kantata.url}/__sandbox/faults`, { method: 'DELETE' });
    const retried = await ops('exceptions', 'retry', ref);
    expect(retried).toEqual({ exitCode: 0, output: `${ref}: retrying (attempt 1): started again as ${restarted}` });
    await env.settled();

    // The same input under the new name, run from the start; the original stays failed, not redriven.
    expect(executionNamed(restarted)).toMatchObject({ status: 'SUCCEEDED', input: executionNamed(name)!.input });
    expect(executionNamed(name)).toMatchObject({ status: 'FAILED', redriveCount: 0 });
    // The steps that succeeded before ran again and made nothing twice: one customer, one workspace, ids on the deal.
    expect(customers()).toHaveLength(1);
    expect(workspaces()).toHaveLength(1);
    expect(env.netsuite.us.records('job').filter((j) => String(j.companyName).includes('Bluebird Bakery'))).toHaveLength(1);
    expect(env.hubspot.object('deals', deal)?.properties).toMatchObject({
      ps_sync_status: 'synced',
      ps_psa_project_id: String(workspaces()[0]!.id),
      ps_erp_customer_id: customers()[0]!.id,
    });
    // The restarted run's success resolved the exception; its history shows the operator's restart.
    await expectResolvedByRetry(ref, 'restart', restarted);

    // Nothing is left to retry: a second retry is refused and starts nothing.
    const again = await ops('exceptions', 'retry', ref);
    expect(again.exitCode).toBe(1);
    expect(again.output).toMatch(/^409: .* has no open exception to retry\.$/);
    await env.settled();
    expect(env.stack.stepFunctions.executions.filter((e) => e.name.startsWith(name))).toHaveLength(2);
    expect(workspaces()).toHaveLength(1);
  });

  it('refuses to retry an exception that needs a fix in its source', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Pendant Publishing', overrides: { ps_business_unit: 'no-such-unit' } });
    await win(deal);
    const ref = `opportunity-to-project/opportunity/hubspot-main:${deal}`;

    const refused = await ops('exceptions', 'retry', ref);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/^409: .* needs a fix in its source, not a retry: Fix the fields named above on the deal/);
    expect(await listed()).toEqual([expect.objectContaining({ ref, state: 'open' })]);
  });
});
