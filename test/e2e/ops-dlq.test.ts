import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsTarget, runOps } from '../../bin/ops';
import type { DeadLetterMessage, DeadLetterQueueState } from '../../lambdas/ops/dead-letter-queues';
import type { WorkflowDeclaration } from '../../lib/topology/declarations';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { LOCAL_OPERATOR } from '../../local/aws/local-operator';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// The DLQs through the ops API, as `npm run ops -- --local dlq ...` drives them: HubSpot answers 503 to
// every read of one won deal, so its deal event fails each receive and lands in the HubspotDealEvents
// DLQ for real; `dlq list` counts it, `dlq peek` shows it and leaves it there; once HubSpot is back,
// `dlq redrive` moves it to its queue and the deal becomes one project, once, with the redrive in the
// audit trail. Every SQS call of the ops function passes the local IAM gate with its template role.
//
// The intake's timeout (hence its queue's visibility timeout, six times it) and receive count are cut
// from 60 s and 5 to 5 s (still room for a cold start) and 2, so the message is dead-lettered in about a
// minute rather than half an hour.
const QUEUE = 'HubspotDealEvents';
const shortened: readonly WorkflowDeclaration[] = WORKFLOWS.map((wf) => ({
  ...wf,
  functions: wf.functions.map((fn) => (fn.id === 'HandleHubSpotDealEvent' ? { ...fn, timeoutSeconds: 5 } : fn)),
  queues: wf.queues.map((q) => (q.id === QUEUE ? { ...q, maxReceiveCount: 2 } : q)),
}));

let env: LocalEnvironment;
let target: OpsTarget;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'INFO', printLogs: false, retryIntervalOverrides: shortRetries(), workflows: shortened });
  target = { url: env.stack.opsApiUrl!, region: 'us-east-1', credentials: LOCAL_OPERATOR };
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };
const ops = async (...args: string[]) => runOps(args, target);
const dlqs = async () => JSON.parse((await ops('dlq', 'list', '--json')).output) as DeadLetterQueueState[];
const dlqOf = async (queue = QUEUE) => (await dlqs()).find((q) => q.queue === queue)!;
const counts = () => ({
  customers: env.netsuite.us.records('customer').length,
  jobs: env.netsuite.us.records('job').length,
  workspaces: env.kantata.objects('workspaces').length,
  executions: env.stack.stepFunctions.executions.length,
});

describe('the DLQs through the ops API', () => {
  let deal: string;
  let peeked: DeadLetterMessage[];

  it('lists every work queue’s DLQ, empty', async () => {
    const listed = await dlqs();
    expect(listed.map((q) => q.queue).sort()).toEqual(shortened.flatMap((wf) => wf.queues.map((q) => q.id)).sort());
    expect(listed.every((q) => q.messages === 0 && q.moveTask === null)).toBe(true);
    expect((await ops('dlq', 'list')).output).toMatch(/^QUEUE\s+MESSAGES\s+SOURCE\s+MOVE TASK\n/);
  });

  it('counts a deal event whose every read failed until its receives ran out', async () => {
    deal = await createHubSpotDeal(env.hubspot.url, { company: 'Initech' });
    await env.settled();
    await fetch(`${env.hubspot.url}/__sandbox/faults`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        method: 'GET',
        pathPrefix: `/crm/v3/objects/deals/${deal}`,
        times: 100,
        response: { status: 503, json: { status: 'error', message: 'down' } },
      }),
    });

    await fetch(`${env.hubspot.url}/__sandbox/deals/${deal}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
    // Settled once the queue is empty: the event failed its two receives and moved to the DLQ.
    await env.settled();

    expect(await dlqOf()).toMatchObject({ queue: QUEUE, deadLetterQueue: `${QUEUE}-dlq`, messages: 1, moveTask: null });
    const failures = env.stack
      .logsOf('HandleHubSpotDealEvent')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === 'Record failed');
    // Each receive failed on HubSpot's 503 (a cold start's first receive may end in its timeout instead, unlogged).
    expect(failures.at(-1)).toMatchObject({ attempt: 2, reason: expect.stringMatching(/^VendorUnavailable: .* read deal: HTTP 503$/) });
    expect(counts()).toEqual({ customers: 0, jobs: 0, workspaces: 0, executions: 0 });
    const table = await ops('dlq', 'list');
    expect(table.output).toMatch(new RegExp(`\\n${QUEUE}-dlq\\s+1\\s+${QUEUE}\\s+-\\n`));
    expect(table.output).toContain('1 message(s) in 1 DLQ(s)');
  }, 240_000);

  it('peeks at it without taking it out of the DLQ, and prints its body only when asked', async () => {
    const answer = JSON.parse((await ops('dlq', 'peek', QUEUE, '--json')).output) as { queue: string; messages: DeadLetterMessage[] };
    peeked = answer.messages;

    expect(peeked).toEqual([
      { messageId: expect.any(String), receiveCount: 1, firstReceivedAt: expect.any(String), sentAt: expect.any(String), body: expect.any(String) },
    ]);
    expect(JSON.parse(peeked[0]!.body)).toMatchObject({ instance: 'hubspot-main', event: { objectId: Number(deal), propertyName: 'dealstage' } });
    // Still there: a peek is a receive with a zero visibility timeout, which counts, as the next peek shows.
    expect(await dlqOf()).toMatchObject({ messages: 1 });
    const table = await ops('dlq', 'peek', QUEUE);
    expect(table.output).toMatch(new RegExp(`^MESSAGE ID\\s+RECEIVES\\s+FIRST RECEIVED\\n${peeked[0]!.messageId}\\s+2\\s+`));
    expect(table.output).not.toContain('objectId');
    expect(table.output).toContain('Bodies are left out (they may hold personal data)');
    expect((await ops('dlq', 'peek', QUEUE, '--bodies')).output).toMatch(/BODY\n.*\s\{"instance":"hubspot-main",.{20,}…\n/);
    expect(await dlqOf()).toMatchObject({ messages: 1 });
  });

  it('redrives it once HubSpot is back: the deal becomes one project, once, and the DLQ ends empty', async () => {
    await fetch(`${env.hubspot.url}/__sandbox/faults`, { method: 'DELETE' });

    const started = await ops('dlq', 'redrive', QUEUE);
    expect(started).toEqual({ exitCode: 0, output: `${QUEUE}: redriving about 1 message(s) from its DLQ back to the queue; dlq list shows the move task.` });
    const deadline = Date.now() + 30_000;
    while ((await dlqOf()).moveTask?.status === 'RUNNING' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await env.settled();

    expect(await dlqOf()).toMatchObject({ messages: 0, inFlight: 0, moveTask: { status: 'COMPLETED', moved: 1, toMove: 1 } });
    expect((await ops('dlq', 'list')).output).toMatch(new RegExp(`${QUEUE}\\s+COMPLETED 1/1, started \\d+m ago\\n`));
    expect(counts()).toEqual({ customers: 1, jobs: 1, workspaces: 1, executions: 1 });
    expect(env.stack.stepFunctions.executions[0]!.status).toBe('SUCCEEDED');
  }, 240_000);

  it('refuses a redrive of an empty DLQ, and has both in the audit trail with who asked', async () => {
    expect(await ops('dlq', 'redrive', QUEUE)).toEqual({ exitCode: 1, output: `409: Not redriven: ${QUEUE}'s DLQ holds no message to redrive.` });

    const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const audit = ((await dynamo.send(new ScanCommand({ TableName: env.stack.tableNames.audit }))).Items ?? []).filter(
      (i) => i.pk?.S === `operations#ops-api#dead-letter-queue#${QUEUE}`,
    );
    expect(audit.map((i) => [i.operation?.S, i.result?.S, i.status?.S, i.execution?.S])).toEqual([
      ['redrive', 'ok', '200', LOCAL_OPERATOR.userArn],
      ['redrive', 'rejected', '409', LOCAL_OPERATOR.userArn],
    ]);
  });

  it('passed the IAM gate with the ops function’s own role, and never logged a message body', async () => {
    expect(env.stack.iamRefusals().filter((r) => r.principal.endsWith('/RunOpsCommand'))).toEqual([]);
    const lines = env.stack.logsOf('RunOpsCommand');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(peeked[0]!.body) || l.includes('objectId'))).toEqual([]);
    expect(await ops('dlq', 'peek', 'NoSuchQueue')).toEqual({
      exitCode: 1,
      output: '404: No work queue NoSuchQueue with a DLQ in this region; dlq list names them.',
    });
  });
});
