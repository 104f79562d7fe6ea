#!/usr/bin/env node
import { createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DeploymentConfig, parseDeploymentConfig } from '../canonical/deployment-config';
import { regionStackId } from '../lib/sync-region-stack';
import { type FunctionUse, secretInstancesOf, servingInstances, type WorkflowDeclaration } from '../lib/topology/declarations';
import { STACK_OUTPUTS } from '../lib/topology/outputs';
import { WORKFLOWS } from '../lib/topology/workflows';

/** One line of the smoke report. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What a smoke run needs; in AWS, {@link main} builds it from the command line and the default credential chain. */
export interface SmokeOptions {
  readonly config: DeploymentConfig;
  readonly region: string;
  /** The stack's outputs by key: CloudFormation's in AWS, the local stack's equivalents locally. */
  readonly outputs: () => Promise<Readonly<Record<string, string>>>;
  /** Service endpoints; AWS's own when omitted. */
  readonly endpoints?: { readonly dynamodb?: string; readonly sqs?: string; readonly secretsManager?: string; readonly sfn?: string };
  /** @default the default credential provider chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Where to send a request for a URL the stack published, when that URL is not reachable from here (a local stack). @default the URL itself */
  readonly sendTo?: (publishedUrl: string) => string;
  /** A HubSpot deal whose legal entity and business unit have opportunity to project switched off; without it the webhook check is skipped. */
  readonly switchedOffDeal?: { readonly instance: string; readonly dealId: string; readonly revision?: number };
  readonly workflows?: readonly WorkflowDeclaration[];
  /** @default 120 s */
  readonly timeoutMs?: number;
}

/**
 * Checks a deployed region end to end without touching business data: the outputs exist, the health
 * route answers, every table, queue and secret its functions use is reachable (secrets by
 * DescribeSecret, never their value), and a signed synthetic HubSpot webhook for a switched-off deal is
 * accepted, recorded as an execution and dropped by the flow switch, through the normal path.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeCheck[]> {
  const { config, region } = options;
  const workflows = options.workflows ?? WORKFLOWS;
  const client = { region, ...(options.credentials ? { credentials: options.credentials } : {}) };
  const endpoint = (url: string | undefined) => (url === undefined ? {} : { endpoint: url });
  const ddb = new DynamoDBClient({ ...client, ...endpoint(options.endpoints?.dynamodb) });
  const sqs = new SQSClient({ ...client, ...endpoint(options.endpoints?.sqs) });
  const secrets = new SecretsManagerClient({ ...client, ...endpoint(options.endpoints?.secretsManager) });
  const sfn = new SFNClient({ ...client, ...endpoint(options.endpoints?.sfn) });
  const sendTo = options.sendTo ?? ((url: string) => url);
  const checks: SmokeCheck[] = [];
  // Each check runs on its own: one failure is reported, never hides the others.
  const check = async (name: string, run: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (error) {
      checks.push({ name, ok: false, detail: (error as Error).message });
    }
  };

  const outputs = await options.outputs();
  const functions = workflows.flatMap((wf) => wf.functions.map((fn) => ({ wf, fn })));
  const usersOf = (matches: (use: FunctionUse) => boolean) => functions.filter(({ fn }) => fn.uses.some(matches)).map(({ fn }) => fn.id);
  const expected = [
    STACK_OUTPUTS.webhookBaseUrl,
    ...Object.values(STACK_OUTPUTS.tables),
    STACK_OUTPUTS.exceptionQueueUrl,
    ...workflows.flatMap((wf) => [...wf.queues.map((q) => STACK_OUTPUTS.queueUrl(q.id)), ...wf.stateMachines.map((m) => STACK_OUTPUTS.stateMachineArn(m.id))]),
    ...servingInstances(config, region, 'hubspot').map(STACK_OUTPUTS.hubSpotWebhookUrl),
    ...servingInstances(config, region, 'business-central').map(STACK_OUTPUTS.businessCentralWebhookUrl),
  ];
  const output = (key: string) => {
    const value = outputs[key];
    if (value === undefined) throw new Error(`the stack has no output ${key}`);
    return value;
  };
  await check('stack outputs', async () => {
    const missing = expected.filter((key) => outputs[key] === undefined);
    if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`);
    return `${expected.length} present`;
  });
  await check('GET /health', async () => {
    const response = await fetch(sendTo(`${output(STACK_OUTPUTS.webhookBaseUrl)}health`));
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    return 'API Gateway and the stage answer';
  });

  for (const [table, key] of Object.entries(STACK_OUTPUTS.tables)) {
    const users = usersOf((u) => u.kind === 'table' && u.table === table);
    await check(`table ${table}`, async () => {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: output(key) }));
      if (Table?.TableStatus !== 'ACTIVE') throw new Error(`${output(key)} is ${Table?.TableStatus}`);
      return `${output(key)} ACTIVE, used by ${users.length} functions`;
    });
  }
  const queues = [
    { name: 'exception announcements', key: STACK_OUTPUTS.exceptionQueueUrl, users: usersOf((u) => u.kind === 'exceptionQueue') },
    ...workflows.flatMap((wf) =>
      wf.queues.map((q) => ({ name: q.id, key: STACK_OUTPUTS.queueUrl(q.id), users: [q.consumer, ...usersOf((u) => u.kind === 'queue' && u.queue === q.id)] })),
    ),
  ];
  for (const q of queues) {
    await check(`queue ${q.name}`, async () => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: output(q.key), AttributeNames: ['ApproximateNumberOfMessages'] }));
      return `${Attributes?.ApproximateNumberOfMessages ?? '?'} waiting, used by ${[...new Set(q.users)].length} functions`;
    });
  }
  for (const instance of secretInstances(config, region, workflows)) {
    await check(`secret ${instance.secretName}`, async () => {
      await secrets.send(new DescribeSecretCommand({ SecretId: instance.secretName }));
      return `exists (${instance.id}); its value is not read`;
    });
  }

  const deal = options.switchedOffDeal;
  if (deal === undefined) {
    checks.push({ name: 'switched-off HubSpot webhook', ok: true, detail: 'skipped: pass --hubspot-deal <id> (docs/deploy.md)' });
    return checks;
  }
  await check('switched-off HubSpot webhook', async () => {
    const instance = config.vendorInstances.find((v) => v.id === deal.instance && v.vendor === 'hubspot');
    if (instance?.portalId === undefined) throw new Error(`${deal.instance} is not a configured HubSpot instance`);
    // Signing needs the app's client secret: read into memory for this request, never printed.
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: instance.secretName }));
    const { clientSecret } = JSON.parse(SecretString ?? '{}') as { clientSecret?: string };
    if (!clientSecret) throw new Error(`${instance.secretName} holds no clientSecret`);
    const url = output(STACK_OUTPUTS.hubSpotWebhookUrl(deal.instance));
    const now = Date.now();
    const body = JSON.stringify([
      {
        eventId: randomInt(2 ** 31),
        subscriptionId: 0,
        portalId: instance.portalId,
        occurredAt: now,
        subscriptionType: 'deal.propertyChange',
        attemptNumber: 0,
        objectId: Number(deal.dealId),
        propertyName: 'dealstage',
        propertyValue: instance.crm?.wonStages[0] ?? '',
        changeSource: 'ps-sync-smoke',
      },
    ]);
    const signature = createHmac('sha256', clientSecret).update(`POST${url}${body}${now}`).digest('base64');
    const response = await fetch(sendTo(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(now) },
      body,
    });
    const answer = (await response.json().catch(() => ({}))) as { accepted?: number; correlationId?: string };
    if (response.status >= 300 || answer.accepted !== 1) throw new Error(`answered ${response.status} ${JSON.stringify(answer)}`);
    // Recorded and dropped: the deal's execution (deterministic name) ends at the flow switch.
    const executionArn = `${output(STACK_OUTPUTS.stateMachineArn('OpportunityToProject')).replace(':stateMachine:', ':execution:')}:${deal.instance}-${deal.dealId}-r${deal.revision ?? 1}`;
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch((error: Error) => {
        if (error.name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      });
      if (execution !== undefined && execution.status !== 'RUNNING') {
        const outcome = (JSON.parse(execution.output ?? '{}') as { validation?: { outcome?: string } }).validation?.outcome;
        if (execution.status !== 'SUCCEEDED' || outcome !== 'switched-off')
          throw new Error(`execution ${execution.status}, outcome ${outcome}: is the flow on for this deal?`);
        return `accepted (${answer.correlationId}); execution ${deal.instance}-${deal.dealId}-r${deal.revision ?? 1} skipped by its flow switch`;
      }
      if (Date.now() > deadline) throw new Error(`no finished execution ${executionArn} in time`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  return checks;
}

/** The secrets the region's functions read: of instances serving (or relayed into) the region, by the vendors or roles each function names. */
function secretInstances(config: DeploymentConfig, region: string, workflows: readonly WorkflowDeclaration[]) {
  // The same selection as the grants (lib/workflow-resources.ts): what some function of the region may read.
  const uses = workflows.flatMap((wf) => wf.functions.flatMap((fn) => fn.uses)).filter((u) => u.kind === 'vendorSecrets');
  const read = new Set(uses.flatMap((u) => secretInstancesOf(config, region, u).map((v) => v.id)));
  return config.vendorInstances.filter((v) => read.has(v.id));
}

/** The report: one line per check, ✓ or ✗. */
export function formatChecks(checks: readonly SmokeCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.detail}`).join('\n');
}

/** `npm run smoke -- --region <r> [--config <file>] [--hubspot-deal <id> [--hubspot-instance <id>] [--revision <n>]]` */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      region: { type: 'string' },
      config: { type: 'string' },
      'hubspot-deal': { type: 'string' },
      'hubspot-instance': { type: 'string' },
      revision: { type: 'string' },
    },
  });
  if (values.region === undefined) throw new Error('Usage: npm run smoke -- --region <region> [--config <file>] [--hubspot-deal <id>]');
  const region = values.region;
  // The same file the stack was deployed from: cdk.json's deploymentConfig unless named.
  const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { deploymentConfig: string } };
  const config = parseDeploymentConfig(JSON.parse(readFileSync(resolve(values.config ?? cdkJson.context.deploymentConfig), 'utf8')));
  const stackName = regionStackId(config, region);
  const instance = values['hubspot-instance'] ?? servingInstances(config, region, 'hubspot')[0];
  const checks = await runSmoke({
    config,
    region,
    outputs: async () => {
      const { Stacks } = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: stackName }));
      return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
    },
    ...(values['hubspot-deal'] && instance
      ? { switchedOffDeal: { instance, dealId: values['hubspot-deal'], ...(values.revision ? { revision: Number(values.revision) } : {}) } }
      : {}),
  });
  console.log(`${stackName}\n${formatChecks(checks)}`);
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
