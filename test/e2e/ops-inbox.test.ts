import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsTarget, runOps } from '../../bin/ops';
import type { InboxEntry } from '../../lambdas/ops/exception-inbox';
import { LOCAL_OPERATOR } from '../../local/aws/local-operator';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// The exception inbox through the ops API, as `npm run ops -- --local` drives it: a deal that fails the
// same way three times is one exception with its owner and money at stake; resolving and ignoring close
// it, with who and why in its history and the audit trail; unsigned or wrongly signed requests never
// reach the function.
let env: LocalEnvironment;
let target: OpsTarget;

beforeAll(async () => {
  // INFO: the functions' log lines are kept (not printed), to tell which requests reached RunOpsCommand.
  env = await startLocalEnvironment({ logLevel: 'INFO', printLogs: false, retryIntervalOverrides: shortRetries() });
  target = { url: env.stack.opsApiUrl!, region: 'us-east-1', credentials: LOCAL_OPERATOR };
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };
const setDeal = async (id: string, properties: Record<string, string>) => {
  await fetch(`${env.hubspot.url}/__sandbox/deals/${id}/set`, { method: 'POST', headers: json, body: JSON.stringify(properties) });
  await env.settled();
};
const ops = async (...args: string[]) => runOps(args, target);
const listed = async (...filters: string[]) => JSON.parse((await ops('exceptions', 'list', '--json', ...filters)).output) as InboxEntry[];

describe('the exception inbox through the ops API', () => {
  let ref: string;

  it('lists a deal that failed three times as one exception, counted, with its owner and money at stake', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Vandelay Industries', overrides: { ps_business_unit: 'no-such-unit' } });
    await setDeal(deal, { dealstage: 'closedwon' });
    await setDeal(deal, { ps_sync_revision: '2' });
    await setDeal(deal, { ps_sync_revision: '3' });

    const entries = await listed();
    ref = `opportunity-to-project/opportunity/hubspot-main:${deal}`;
    expect(entries).toEqual([
      expect.objectContaining({
        ref,
        state: 'open',
        ownerTeam: 'sales-operations',
        legalEntityId: 'acme-us',
        moneyAtStake: { amountMinor: 12_500_000, currency: 'USD' },
        occurrences: 3,
        reason: expect.stringContaining('OpportunityInvalid'),
      }),
    ]);
    expect(await listed('--workflow', 'time-to-invoice')).toEqual([]);
    expect(await listed('--legal-entity', 'acme-uk')).toEqual([]);
    expect(await listed('--owner', 'sales-operations')).toHaveLength(1);

    // The money-at-risk figures, every five minutes: the schedule fires as its period would.
    await env.stack.scheduler.fire('OperationsMetricsSchedule');
    await env.settled();
    const emf = env.stack
      .logsOf('PublishOperationsMetrics')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toContainEqual(expect.objectContaining({ workflow: 'opportunity-to-project', legalEntity: 'acme-us', OpenExceptions: 1 }));
    expect(emf).toContainEqual(expect.objectContaining({ workflow: 'opportunity-to-project', legalEntity: 'acme-us', currency: 'USD', MoneyAtStake: 125_000 }));
    expect(emf).toContainEqual(expect.objectContaining({ workflow: 'opportunity-to-project', OldestOpenExceptionMinutes: expect.any(Number) }));

    const table = await ops('exceptions', 'list');
    expect(table.exitCode).toBe(0);
    expect(table.output).toContain(ref);
    expect(table.output).toContain('sales-operations: 1 open, USD 125,000.00 at stake');
  });

  it('shows one exception, and refuses to ignore it without a note', async () => {
    const shown = await ops('exceptions', 'show', ref);
    expect(shown.output).toContain('remediation');
    expect(shown.output).toContain('seen 3 time(s)');

    const refused = await ops('exceptions', 'ignore', ref);
    expect(refused).toEqual({ exitCode: 1, output: '400: Ignoring an exception needs a note saying why.' });
    expect((await listed()).map((e) => e.state)).toEqual(['open']);
  });

  it('resolves it: out of the inbox, in its history with who and why, and in the audit trail', async () => {
    const resolved = await ops('exceptions', 'resolve', ref, '--note', 'business unit added to the deal, revision raised');
    expect(resolved).toEqual({ exitCode: 0, output: `${ref}: resolved by ${LOCAL_OPERATOR.userArn}` });
    expect(await listed()).toEqual([]);

    const shown = JSON.parse((await ops('exceptions', 'show', ref, '--json')).output) as { open?: InboxEntry; history: InboxEntry[] };
    expect(shown.open).toBeUndefined();
    expect(shown.history).toEqual([
      expect.objectContaining({
        state: 'resolved',
        closed: { by: LOCAL_OPERATOR.userArn, at: expect.any(String), note: 'business unit added to the deal, revision raised' },
      }),
    ]);
    // Resolving twice is a conflict, not a second history entry.
    expect((await ops('exceptions', 'resolve', ref)).output).toMatch(/^409: .* has no open exception/);

    const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const audit = ((await dynamo.send(new ScanCommand({ TableName: env.stack.tableNames.audit }))).Items ?? []).filter(
      (i) => i.pk?.S === `operations#ops-api#exception#${ref}`,
    );
    expect(audit.map((i) => [i.operation?.S, i.result?.S, i.execution?.S])).toEqual([
      ['resolve', 'ok', LOCAL_OPERATOR.userArn],
      ['resolve', 'rejected', LOCAL_OPERATOR.userArn],
    ]);
  });

  it('ignores another with its note', async () => {
    const deal = await createHubSpotDeal(env.hubspot.url, { company: 'Kramerica', overrides: { ps_business_unit: 'no-such-unit' } });
    await setDeal(deal, { dealstage: 'closedwon' });
    const other = `opportunity-to-project/opportunity/hubspot-main:${deal}`;

    expect((await ops('exceptions', 'ignore', other, '--note', 'test deal, lost in the CRM')).output).toBe(`${other}: ignored by ${LOCAL_OPERATOR.userArn}`);
    expect(await listed()).toEqual([]);
    const shown = JSON.parse((await ops('exceptions', 'show', other, '--json')).output) as { history: InboxEntry[] };
    expect(shown.history[0]).toMatchObject({ state: 'ignored', closed: { note: 'test deal, lost in the CRM' } });
  });

  it('refuses requests that are unsigned, signed by an unknown key or signed wrongly, before any function runs', async () => {
    const url = `${env.stack.opsApiUrl}ops/exceptions`;
    const before = env.stack.logsOf('RunOpsCommand').length;

    const unsigned = await fetch(url);
    expect([unsigned.status, await unsigned.json()]).toEqual([403, { message: 'Missing Authentication Token' }]);

    const signedBy = async (credentials: { accessKeyId: string; secretAccessKey: string }) => {
      const { hostname, port, pathname } = new URL(url);
      const signed = await new SignatureV4({ credentials, region: 'us-east-1', service: 'execute-api', sha256: Sha256 }).sign({
        method: 'GET',
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: pathname,
        headers: { host: `${hostname}:${port}` },
      });
      const response = await fetch(url, { headers: signed.headers });
      return [response.status, await response.json()];
    };
    expect(await signedBy({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' })).toEqual([
      403,
      { message: 'The security token included in the request is invalid.' },
    ]);
    expect(await signedBy({ accessKeyId: LOCAL_OPERATOR.accessKeyId, secretAccessKey: 'not-the-secret' })).toEqual([
      403,
      { message: expect.stringMatching(/^The request signature we calculated does not match/) },
    ]);
    expect(await signedBy(LOCAL_OPERATOR)).toEqual([200, { exceptions: [] }]);
    // Only the signed request reached the function.
    expect(env.stack.logsOf('RunOpsCommand').length).toBeGreaterThan(before);
    expect(
      env.stack
        .logsOf('RunOpsCommand')
        .slice(before)
        .filter((l) => l.includes('ops command answered')),
    ).toHaveLength(1);
  });
});
