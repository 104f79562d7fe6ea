import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEnvironment } from '../../local/local-environment';
import type { FaultSchedule, RunningSandbox, ScheduledFault } from '../../local/sandboxes/sandbox-kit';
import { createHubSpotDeal } from './hubspot-deal';

/**
 * Won HubSpot deals pushed through the local stack while the vendor sandboxes play a seeded fault
 * schedule: what became of each deal, and whether any sandbox holds a record twice. Shared by the
 * end-to-end fault test and the fault run of `npm run bench`.
 */

/** The vendors a run can strike, and which of their calls. */
export type FaultedVendor = 'hubspot' | 'netsuite' | 'kantata';

/** Options of {@link runDealsUnderFaults}. */
export interface FaultRunOptions {
  /** Names this run's companies, so runs in one environment stay apart. */
  readonly label: string;
  readonly deals: number;
  readonly seed: number;
  /** Share of the faulted calls that fail. */
  readonly rate: number;
  /** @default every kind */
  readonly kinds?: readonly ScheduledFault[];
  /** @default hubspot, netsuite and kantata */
  readonly vendors?: readonly FaultedVendor[];
  /** Only writes (POST, PUT, PATCH) are struck: fail-after-commit on every write. @default false */
  readonly writesOnly?: boolean;
  /** How late a slow answer comes; past the instances' request timeout. @default 1_500 */
  readonly slowMs?: number;
}

/** What a run did. */
export interface FaultRunReport {
  readonly rate: number;
  /** Deals whose close-win the webhook API accepted. */
  readonly accepted: number;
  /** Executions succeeded and the deal shows `synced`. */
  readonly completed: number;
  /** Deals with an open exception (with its reason) and not completed. */
  readonly exceptions: number;
  /** Messages of this run in a dead-letter queue. */
  readonly deadLettered: number;
  /** Deals that neither completed, nor wait as an exception or a dead letter. */
  readonly lost: number;
  /** Records held twice in any sandbox (workspaces, stories, rate cards, customers, projects). */
  readonly duplicated: number;
  readonly vendorCalls: number;
  readonly failedCalls: number;
  readonly faultsPlayed: number;
  /** Task attempts retried by the state machine's Retry rules. */
  readonly retries: number;
  readonly durationMs: number;
  /** Why deals did not complete, by exception reason. */
  readonly reasons: readonly string[];
}

const json = { 'content-type': 'application/json' };
const WRITES = ['POST', 'PUT', 'PATCH'];
const ALL_KINDS: readonly ScheduledFault[] = ['throttle', 'unavailable', 'reset', 'slow', 'after-commit', 'reset-after-commit'];

/** Records that share a key: how many more there are than keys. */
function surplus(keys: readonly unknown[]): number {
  return keys.length - new Set(keys.map((k) => JSON.stringify(k))).size;
}

/** Every record any sandbox holds twice: the duplicates the product promises never to make. */
export function duplicatesIn(env: LocalEnvironment): number {
  const k = env.kantata;
  const references = k.objects('external_references');
  const referenceOf = (type: string, id: string) => references.find((r) => r.subject_type === type && r.subject_id === id)?.service_model_ref ?? `none:${id}`;
  const workspaces = k.objects('workspaces').map((w) => referenceOf('Workspace', w.id));
  const stories = k.objects('stories').map((st) => [st.workspace_id, st.story_type, st.title]);
  // A set's title ends in its project's global id, whatever the project was called.
  const sets = k.objects('rate_card_sets').map((s) => String(s.title).split(' ').pop());
  const setVersions = k.objects('rate_card_set_versions').map((v) => [v.rate_card_set_id, v.effective_date]);
  const cards = k.objects('rate_cards').map((c) => [c.rate_card_set_id, c.currency]);
  const rates = k.objects('rate_card_roles').map((r) => [r.rate_card_version_id, r.role_id]);
  // Each deal of a run names its own company: two customers or projects of one name are one made twice,
  // whatever external id either carries.
  const netsuite = [env.netsuite.us, env.netsuite.ca].flatMap((n) => [
    ...n.records('customer').map((c) => ['customer', c.companyName]),
    ...n.records('job').map((j) => ['job', j.companyName]),
  ]);
  return surplus(workspaces) + surplus(stories) + surplus(sets) + surplus(setVersions) + surplus(cards) + surplus(rates) + surplus(netsuite);
}

/** Pushes `deals` won deals through the stack under the schedule; the schedules are cleared after. */
export async function runDealsUnderFaults(env: LocalEnvironment, options: FaultRunOptions): Promise<FaultRunReport> {
  const vendors = options.vendors ?? ['hubspot', 'netsuite', 'kantata'];
  const sandboxes: Record<FaultedVendor, RunningSandbox[]> = { hubspot: [env.hubspot], netsuite: [env.netsuite.us, env.netsuite.ca], kantata: [env.kantata] };
  const dealIds: string[] = [];
  for (let i = 1; i <= options.deals; i++) dealIds.push(await createHubSpotDeal(env.hubspot.url, { company: `${options.label} Client ${i}` }));

  const requestsBefore = new Map(
    Object.values(sandboxes)
      .flat()
      .map((s) => [s, s.requests.length]),
  );
  const playedBefore = new Map(
    Object.values(sandboxes)
      .flat()
      .map((s) => [s, s.scheduledFaults.length]),
  );
  const executionsBefore = env.stack.stepFunctions.executions.length;
  vendors.forEach((vendor, v) => {
    const schedule: FaultSchedule = {
      seed: options.seed * 31 + v,
      rate: options.rate,
      kinds: options.kinds ?? ALL_KINDS,
      slowMs: options.slowMs ?? 1_500,
      // HubSpot's reads (GETs and batch-read POSTs) belong to the webhook intake, retried by SQS after a
      // visibility timeout of minutes; the workflow's own HubSpot calls are the write-backs (PATCH).
      ...(vendor === 'hubspot' ? { methods: ['PATCH'] } : options.writesOnly ? { methods: WRITES } : {}),
      pathPrefix: vendor === 'kantata' ? '/api/' : '/',
    };
    for (const sandbox of sandboxes[vendor]) sandbox.scheduleFaults(schedule);
  });

  const started = Date.now();
  let accepted = 0;
  for (const id of dealIds) {
    const response = await fetch(`${env.hubspot.url}/__sandbox/deals/${id}/set`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ dealstage: 'closedwon' }),
    });
    if (response.ok) accepted += 1;
  }
  try {
    await env.settled(15 * 60_000);
  } finally {
    for (const sandbox of Object.values(sandboxes).flat()) sandbox.clearFaults();
  }
  const durationMs = Date.now() - started;

  const credentials = { accessKeyId: 'l', secretAccessKey: 'l' };
  const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials });
  const open = new Map<string, string>();
  for (const item of (await dynamo.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? [])
    if (item.sk?.S?.startsWith('OPEN')) open.set(String(item.pk?.S), String(item.reason?.S ?? ''));
  const sqs = new SQSClient({ endpoint: env.stack.endpoints.sqs, region: 'us-east-1', credentials });
  const deadLetters: string[] = [];
  for (const [name, url] of env.stack.queueUrls) {
    if (!name.endsWith('-dlq')) continue;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const depth = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    for (let read = 0; read < depth; ) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      if (Messages.length === 0) break;
      deadLetters.push(...Messages.map((m) => m.Body ?? ''));
      read += Messages.length;
    }
  }

  const executions = env.stack.stepFunctions.executions.slice(executionsBefore);
  let completed = 0;
  let exceptions = 0;
  let deadLettered = 0;
  const reasons: string[] = [];
  for (const id of dealIds) {
    const succeeded = executions.some((e) => e.name.includes(`-${id}-`) && e.status === 'SUCCEEDED');
    const exception = [...open.entries()].find(([pk]) => pk.endsWith(`:${id}`));
    if (succeeded && env.hubspot.object('deals', id)?.properties.ps_sync_status === 'synced') completed += 1;
    else if (exception) {
      exceptions += 1;
      reasons.push(exception[1]);
    } else if (deadLetters.some((body) => body.includes(id))) deadLettered += 1;
  }
  const calls = Object.values(sandboxes)
    .flat()
    .flatMap((s) => s.requests.slice(requestsBefore.get(s)));
  return {
    rate: options.rate,
    accepted,
    completed,
    exceptions,
    deadLettered,
    lost: accepted - completed - exceptions - deadLettered,
    duplicated: duplicatesIn(env),
    vendorCalls: calls.length,
    failedCalls: calls.filter((c) => c.status === 0 || c.status >= 400).length,
    faultsPlayed: Object.values(sandboxes)
      .flat()
      .reduce((n, s) => n + s.scheduledFaults.length - (playedBefore.get(s) ?? 0), 0),
    retries: executions.reduce((n, e) => n + e.retries, 0),
    durationMs,
    reasons,
  };
}
