import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import dynalite from 'dynalite';
import { build } from 'esbuild';
import { createSqsServer } from 'local-aws-sqs';
import type { DeploymentConfig } from '../../canonical/deployment-config';
import { BUNDLE_TARGET, bundleDefines } from '../../lib/topology/bundling';
import { assertConsistent, relayRuleInstances, type SharedTable, scheduleInstances, type WorkflowDeclaration } from '../../lib/topology/declarations';
import { TABLE_KEYS } from '../../lib/topology/tables';
import { type BusEvent, busEventJson, type LocalRule, startEventBus } from '../aws/event-bus';
import { IamEvaluator, type LocalPrincipal } from '../aws/iam-evaluator';
import { type GatedService, type IamGate, startIamGate } from '../aws/iam-gate';
import { type LocalFunction, startLocalFunction } from '../aws/lambda-runtime';
import { LOCAL_OPERATOR } from '../aws/local-operator';
import { type LocalObjectVersion, startS3 } from '../aws/s3';
import { startScheduler } from '../aws/scheduler';
import { startSecretsManager } from '../aws/secrets-manager';
import { verifySigV4 } from '../aws/sigv4-verify';
import { startSqsFront } from '../aws/sqs-front';
import { deadLetterSourcesOf } from '../aws/sqs-message-moves';
import { type JsonValue, startStepFunctions } from '../aws/step-functions';
import { startApiGateway } from './api-gateway';
import { startSqsEventSource } from './sqs-event-source';
import { type LocalResource, readRegionTemplate, synthesizeRegion } from './template';

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const EVENT_BUS_NAME = 'canonical';
/** The account's default bus, where AWS services (Step Functions) put their events. */
const DEFAULT_BUS_NAME = 'default';
/** Log lines kept per function. */
const MAX_LOG_LINES = 10_000;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** The deployment configuration, with vendor base URLs pointing at sandboxes. */
  readonly config: DeploymentConfig;
  /** The region whose stack this is (one of `config.regions`). */
  readonly region: string;
  readonly workflows: readonly WorkflowDeclaration[];
  /** Secret values by secret name, as they would be in Secrets Manager. */
  readonly secrets: Readonly<Record<string, unknown>>;
  /** Per-state retry pauses for test runs (see aws-local-stepfunctions). @default real intervals */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** Called with stand-in failures (poll errors), which are otherwise silent. */
  readonly onError?: (error: unknown) => void;
  /** Function log level (POWERTOOLS_LOG_LEVEL); tests quieten it. @default INFO */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Every function logs its invocation event, masked (POWERTOOLS_LOGGER_LOG_EVENT, the variable a deployed
   * function reads; lambdas/common/runtime.ts). @default the template's value: off unless the deployment sets it
   */
  readonly logEvent?: boolean;
  /** Print function log lines as they come; either way they are kept for `logsOf`. @default true */
  readonly printLogs?: boolean;
  /** Rate schedules fire only when told to (`scheduler.fire`). @default false */
  readonly schedulesPaused?: boolean;
}

/** A running local stack. */
export interface LocalStack {
  /** Base URL of the webhook API, with the stage: `http://127.0.0.1:PORT/<stage>/`. */
  readonly apiUrl: string;
  /** The ops API (SigV4 checked against {@link LOCAL_OPERATOR}), when the workflows include the operations declaration. */
  readonly opsApiUrl?: string;
  /**
   * The URL vendors call and sign, as the functions' template gives it (`webhooks.publicBaseUrl`, or
   * the API's execute-api URL); requests to it reach {@link apiUrl} through a {@link LocalNetwork}.
   */
  readonly webhookBaseUrl: string;
  /**
   * The lines a function logged, oldest first, as its CloudWatch log group would hold them (JSON, one
   * object per line); they are also printed unless the log level is SILENT.
   */
  readonly logsOf: (functionId: string) => readonly string[];
  /** Every call the local IAM gates refused, as AWS would have: who, and AWS's message. */
  readonly iamRefusals: () => readonly { readonly principal: string; readonly message: string }[];
  /** The services behind their IAM gates, as functions call them: a client signing with a function's id as its access key id acts as its role. */
  readonly gatedEndpoints: Readonly<Record<GatedService, string>>;
  /** Service endpoints, for clients in tests and the demo (administrator access; functions go through IAM gates). */
  readonly endpoints: {
    readonly dynamodb: string;
    readonly sqs: string;
    readonly eventbridge: string;
    readonly sfn: string;
    readonly secretsManager: string;
    readonly s3: string;
  };
  /** The payload archive's bucket on the local S3 stand-in, and what it holds (every version, delete markers too), for tests. */
  readonly payloadArchive: {
    readonly bucket: string;
    versions(key?: string): readonly LocalObjectVersion[];
    object(key: string): Extract<LocalObjectVersion, { deleteMarker: false }> | undefined;
  };
  readonly tableNames: Readonly<Record<SharedTable, string>>;
  readonly queueUrls: ReadonlyMap<string, string>;
  readonly stepFunctions: Awaited<ReturnType<typeof startStepFunctions>>;
  readonly eventBus: Awaited<ReturnType<typeof startEventBus>>;
  /** The partner event bus of each relay, by its partner event source's name (which is also the bus's name). */
  readonly partnerBuses: ReadonlyMap<string, string>;
  readonly scheduler: ReturnType<typeof startScheduler>;
  /** Names of what runs locally, by kind, for the parity test with the synthesized templates. */
  readonly topology: {
    readonly functions: string[];
    readonly queues: string[];
    readonly routes: string[];
    readonly rules: string[];
    readonly schedules: string[];
    readonly stateMachines: string[];
  };
  /** Waits until every queue is drained, every bus delivery done and every execution finished. @default 5 minutes at most */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts one region's stack on loopback from the same declarations, handler files, bundling and
 * state machine files the CDK stack uses, on dynalite, local-aws-sqs and the stand-ins in local/aws.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config, region } = options;
  options.workflows.forEach(assertConsistent);
  const closers: (() => Promise<unknown>)[] = [];

  // DynamoDB
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise<void>((resolve) => dynamo.close(() => resolve())));
  const dynamodbUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const ddb = new DynamoDBClient({ endpoint: dynamodbUrl, region, credentials: CREDENTIALS });
  const tableNames = Object.fromEntries(Object.keys(TABLE_KEYS).map((t) => [t, `local-${t}`])) as Record<SharedTable, string>;
  for (const [table, keys] of Object.entries(TABLE_KEYS)) {
    const keySchema: KeySchemaElement[] = [{ AttributeName: keys.partitionKey, KeyType: 'HASH' }];
    if (keys.sortKey) keySchema.push({ AttributeName: keys.sortKey, KeyType: 'RANGE' });
    const indexes = (keys.indexes ?? []).map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    }));
    const attributes = new Set([...keySchema, ...indexes.flatMap((i) => i.KeySchema)].map((k) => k.AttributeName!));
    await ddb.send(
      new CreateTableCommand({
        TableName: tableNames[table as SharedTable],
        KeySchema: keySchema,
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        BillingMode: 'PAY_PER_REQUEST',
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  }

  // SQS: queue names follow the declarations; each work queue has its DLQ and redrive policy.
  const sqsPort = await freePort();
  const queueDefinitions: { QueueName: string; Attributes?: Record<string, string> }[] = [
    { QueueName: 'exception-announcements', Attributes: { MessageRetentionPeriod: String(14 * 86400) } },
  ];
  const queueArn = (name: string) => `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
  for (const wf of options.workflows) {
    for (const q of wf.queues) {
      const timeout = wf.functions.find((f) => f.id === q.consumer)!.timeoutSeconds;
      queueDefinitions.push({ QueueName: `${q.id}-dlq`, Attributes: { MessageRetentionPeriod: String(14 * 86400) } });
      queueDefinitions.push({
        QueueName: q.id,
        Attributes: {
          VisibilityTimeout: String(timeout * 6),
          MessageRetentionPeriod: String((q.retentionDays ?? 4) * 86400),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn(`${q.id}-dlq`), maxReceiveCount: q.maxReceiveCount ?? 5 }),
        },
      });
    }
    for (const r of wf.rules) queueDefinitions.push({ QueueName: `${r.id}-target-failures`, Attributes: { MessageRetentionPeriod: String(14 * 86400) } });
    for (const r of wf.relayRules ?? [])
      for (const { name } of relayRuleInstances(config, region, r))
        queueDefinitions.push({ QueueName: `${name}-target-failures`, Attributes: { MessageRetentionPeriod: String(14 * 86400) } });
    for (const sc of wf.schedules ?? [])
      for (const { name } of scheduleInstances(config, region, sc))
        queueDefinitions.push({ QueueName: `${name}-target-failures`, Attributes: { MessageRetentionPeriod: String(14 * 86400) } });
  }
  const sqsServer = await createSqsServer({
    port: sqsPort,
    hostname: '127.0.0.1',
    region,
    accountId: ACCOUNT,
    emulateQueueCreationLifecycle: false,
    queues: queueDefinitions as never,
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        sqsServer.closeAllConnections();
        sqsServer.close(() => resolve());
      }),
  );
  const sqsUrl = `http://127.0.0.1:${sqsPort}`;
  // Functions reach local-aws-sqs through a front that makes its receives answer as SQS's do (sqs-front.ts).
  const sqsFront = await startSqsFront({ target: sqsUrl });
  closers.push(() => sqsFront.close());
  const sqs = new SQSClient({ endpoint: sqsUrl, region, credentials: CREDENTIALS });
  const queueUrl = (name: string) => `${sqsUrl}/${ACCOUNT}/${name}`;
  const queueUrls = new Map(queueDefinitions.map((q) => [q.QueueName, queueUrl(q.QueueName)]));

  // Secrets Manager
  const secretsManager = await startSecretsManager({ region, secrets: options.secrets });
  closers.push(() => secretsManager.close());

  // S3: the payload archive's bucket, locked as the configuration says (local/aws/s3.ts).
  const payloadArchiveBucket = 'local-payload-archive';
  const s3 = await startS3({ buckets: [{ name: payloadArchiveBucket, objectLock: config.operations.payloadRetention }] });
  closers.push(() => s3.close());

  // Functions are started lazily below, once the bus and Step Functions endpoints exist.
  const functions = new Map<string, LocalFunction>();
  const invoke = (id: string) => (event: unknown) => {
    const fn = functions.get(id);
    if (fn === undefined) throw new Error(`No local function ${id}`);
    return fn.invoke(event);
  };

  // EventBridge: rules deliver into the declared queues, failures into the rule's failure queue.
  // Relay rules sit on the partner event bus of each relay (an org may have several), as in the deployed stack.
  const partnerBuses = new Map(config.eventRelays.filter((r) => r.region === region).map((r) => [r.eventSourceName, r.eventSourceName]));
  const toQueue = (name: string, targetQueue: string, eventBusName: string, eventPattern: Record<string, unknown>, retryAttempts: number): LocalRule => ({
    name,
    eventBusName,
    eventPattern,
    targets: [
      {
        id: targetQueue,
        retryAttempts,
        deliver: async (event: BusEvent) =>
          void (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(targetQueue), MessageBody: busEventJson(event) }))),
        deadLetter: async (event: BusEvent, reason: string) =>
          void (await sqs.send(
            new SendMessageCommand({
              QueueUrl: queueUrl(`${name}-target-failures`),
              MessageBody: busEventJson(event),
              MessageAttributes: { ERROR_MESSAGE: { DataType: 'String', StringValue: reason } },
            }),
          )),
      },
    ],
  });
  const rules: LocalRule[] = options.workflows.flatMap((wf) => [
    ...wf.rules.map((r) =>
      toQueue(r.id, r.targetQueue, r.bus === 'default' ? DEFAULT_BUS_NAME : EVENT_BUS_NAME, r.eventPattern as Record<string, unknown>, r.retryAttempts ?? 8),
    ),
    ...(wf.relayRules ?? []).flatMap((r) =>
      relayRuleInstances(config, region, r).map(({ name, eventSourceName, eventPattern }) =>
        toQueue(name, r.targetQueue, partnerBuses.get(eventSourceName)!, eventPattern as Record<string, unknown>, r.retryAttempts ?? 8),
      ),
    ),
  ]);
  const eventBus = await startEventBus({
    region,
    account: ACCOUNT,
    eventBusNames: [EVENT_BUS_NAME, DEFAULT_BUS_NAME, ...partnerBuses.values()],
    rules,
    archives: [{ name: 'canonical-archive', eventBusName: EVENT_BUS_NAME, eventPattern: { account: [ACCOUNT] } }],
  });
  closers.push(() => eventBus.close());

  // EventBridge Scheduler: each declared schedule per relayed instance, sending its message to its queue.
  const scheduler = startScheduler({
    ...(options.schedulesPaused ? { paused: true } : {}),
    schedules: options.workflows.flatMap((wf) =>
      (wf.schedules ?? []).flatMap((sc) =>
        scheduleInstances(config, region, sc).map(({ name, message }) => ({
          name,
          expression: sc.expression,
          message,
          retryAttempts: sc.retryAttempts ?? 8,
          deliver: async (message: unknown) =>
            void (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(sc.targetQueue), MessageBody: JSON.stringify(message) }))),
          deadLetter: async (message: unknown, reason: string) =>
            void (await sqs.send(
              new SendMessageCommand({
                QueueUrl: queueUrl(`${name}-target-failures`),
                MessageBody: JSON.stringify(message),
                MessageAttributes: { ERROR_MESSAGE: { DataType: 'String', StringValue: reason } },
              }),
            )),
        })),
      ),
    ),
  });
  closers.push(async () => scheduler.close());

  // Step Functions: the ASL files with each placeholder replaced by its function's (local) ARN.
  const functionArn = (id: string) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${id}`;
  // Step Functions puts each execution's status change on the default bus, as AWS does (no IAM on the service's own events).
  const statusEvents = new EventBridgeClient({ endpoint: eventBus.url, region, credentials: CREDENTIALS });
  const stepFunctions = await startStepFunctions({
    region,
    onStatusChange: async (detail) => {
      await statusEvents.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: DEFAULT_BUS_NAME,
              Source: 'aws.states',
              DetailType: 'Step Functions Execution Status Change',
              Resources: [detail.executionArn],
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
    },
    stateMachines: options.workflows.flatMap((wf) =>
      wf.stateMachines.map((s) => ({
        name: s.id,
        definition: readFileSync(join(REPOSITORY_ROOT, s.definitionFile), 'utf8').replace(/\$\{(\w+)\}/g, (_, placeholder: string) => {
          const fnId = s.tasks[placeholder];
          if (fnId === undefined) throw new Error(`${s.definitionFile} uses \${${placeholder}}, which the declaration does not map`);
          return functionArn(fnId);
        }),
        invokeResource: (arn: string) => {
          const fnId = arn.startsWith(functionArn('')) ? arn.slice(functionArn('').length) : undefined;
          if (fnId === undefined || !wf.functions.some((f) => f.id === fnId)) return undefined;
          // The state machine's role must allow lambda:InvokeFunction on the task's function, as in AWS.
          return async (input: JsonValue) => {
            const principal = principals.get(`state-machine/${s.id}`)!;
            const decision = await evaluator.decide(principal, [{ action: 'lambda:InvokeFunction', resource: arn }]);
            if (!decision.allowed) {
              stateMachineRefusals.push({ principal: principal.arn, message: decision.message });
              throw Object.assign(new Error(`${decision.message} (Service: Lambda, Status Code: 403, Error Code: AccessDeniedException)`), {
                name: 'Lambda.AWSLambdaException',
              });
            }
            return invoke(fnId)(input) as Promise<JsonValue>;
          };
        },
        retryIntervalOverrides: options.retryIntervalOverrides ?? {},
      })),
    ),
  });
  closers.push(() => stepFunctions.close());

  // API Gateway: functions learn the public URL vendors call from their template, not from here.
  const routesOf = (api: 'webhooks' | 'operations') =>
    options.workflows.flatMap((wf) =>
      wf.routes
        .filter((r) => (r.api ?? 'webhooks') === api)
        .map((r) => ({ method: r.method, path: r.path, invoke: (event: APIGatewayProxyEvent) => invoke(r.function)(event) })),
    );
  const routes = routesOf('webhooks');
  const api = await startApiGateway({ stage: config.stage, routes });
  closers.push(() => api.close());
  // The ops API: AWS_IAM on every route, so only requests signed by a local operator reach its function.
  const opsRoutes = routesOf('operations');
  const opsApi =
    opsRoutes.length > 0
      ? await startApiGateway({
          stage: config.stage,
          routes: opsRoutes,
          authorize: (request) => verifySigV4(request, [LOCAL_OPERATOR], region),
        })
      : undefined;
  if (opsApi) closers.push(() => opsApi.close());
  const endpoints = { dynamodb: dynamodbUrl, sqs: sqsUrl, eventbridge: eventBus.url, sfn: stepFunctions.url, secretsManager: secretsManager.url, s3: s3.url };

  // IAM: every call a function makes passes a gate that evaluates it against the function's role in
  // the template synthesized from the same configuration and declarations (docs/adr/0020-iam-enforced-locally.md).
  const principals = new Map<string, LocalPrincipal>();
  const evaluator = new IamEvaluator(ACCOUNT, principals);
  const stateMachineRefusals: { principal: string; message: string }[] = [];
  const gates = new Map<GatedService, IamGate>();
  for (const [service, target] of [
    ['dynamodb', endpoints.dynamodb],
    ['sqs', sqsFront.url],
    ['events', endpoints.eventbridge],
    ['states', endpoints.sfn],
    ['secretsmanager', endpoints.secretsManager],
    ['s3', endpoints.s3],
  ] as const) {
    const gate = await startIamGate({
      service,
      target,
      region,
      account: ACCOUNT,
      evaluator,
      secretArn: secretsManager.arnOf,
      deadLetterSources: deadLetterSourcesOf(queueDefinitions, queueArn),
    });
    closers.push(() => gate.close());
    gates.set(service, gate);
  }
  const gatedQueueUrl = (name: string) => `${gates.get('sqs')!.url}/${ACCOUNT}/${name}`;

  const synthesized = synthesizeRegion(config, region, options.workflows);
  const arnResource = (ref: string, arn: string, extra: Record<string, string> = {}): LocalResource => ({ ref, attributes: { Arn: arn, ...extra } });
  const template = readRegionTemplate(synthesized, () => ({
    tables: Object.fromEntries(
      Object.entries(tableNames).map(([t, name]) => [t, arnResource(name, `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`)]),
    ) as Record<SharedTable, LocalResource>,
    queues: new Map(queueDefinitions.map((q) => [q.QueueName, arnResource(gatedQueueUrl(q.QueueName), queueArn(q.QueueName), { QueueName: q.QueueName })])),
    eventBus: arnResource(EVENT_BUS_NAME, `arn:aws:events:${region}:${ACCOUNT}:event-bus/${EVENT_BUS_NAME}`, { Name: EVENT_BUS_NAME }),
    partnerBuses: new Map(
      [...partnerBuses].map(([source, name]) => [source, arnResource(name, `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name}`, { Name: name })]),
    ),
    stateMachines: new Map(
      options.workflows.flatMap((wf) => wf.stateMachines.map((m) => [m.id, arnResource(stepFunctions.arnOf(m.id), stepFunctions.arnOf(m.id), { Name: m.id })])),
    ),
    functions: new Map(options.workflows.flatMap((wf) => wf.functions.map((f) => [f.id, arnResource(f.id, functionArn(f.id))]))),
    // The API id in the execute-api URL the template builds; the local network routes that URL here.
    webhookApi: { ref: 'local-webhook-api', attributes: { RootResourceId: 'local-root' } },
    payloadArchive: arnResource(payloadArchiveBucket, `arn:aws:s3:::${payloadArchiveBucket}`),
  }));
  for (const wf of options.workflows) {
    for (const fn of wf.functions) {
      const role = template.functionRole(fn.id);
      principals.set(fn.id, { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/${fn.id}`, policies: role.policies });
    }
    for (const machine of wf.stateMachines) {
      const role = template.stateMachineRole(machine.id);
      principals.set(`state-machine/${machine.id}`, { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/${machine.id}`, policies: role.policies });
    }
  }
  const logs = new Map<string, string[]>();
  const routed = options.workflows.flatMap((wf) => wf.routes.filter((r) => (r.api ?? 'webhooks') === 'webhooks').map((r) => r.function));
  const webhookBaseUrl = routed.length > 0 ? template.environmentOf(routed[0]!).WEBHOOK_PUBLIC_BASE_URL : undefined;

  for (const wf of options.workflows) {
    for (const fn of wf.functions) {
      const bundle = await build({
        entryPoints: [join(REPOSITORY_ROOT, fn.entry)],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: BUNDLE_TARGET,
        minify: true,
        sourcemap: 'inline',
        define: bundleDefines(config),
        write: false,
        logLevel: 'silent',
      });
      const environment: Record<string, string> = {
        // Exactly the variables of the deployed function, from its template: one missing there is missing here.
        ...template.environmentOf(fn.id),
        // What the Lambda runtime adds: the region and the credentials of the function's role.
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: fn.id,
        AWS_SECRET_ACCESS_KEY: 'local',
        // The local services, each behind its IAM gate.
        AWS_ENDPOINT_URL_DYNAMODB: gates.get('dynamodb')!.url,
        AWS_ENDPOINT_URL_SQS: gates.get('sqs')!.url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: gates.get('events')!.url,
        AWS_ENDPOINT_URL_SFN: gates.get('states')!.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: gates.get('secretsmanager')!.url,
        AWS_ENDPOINT_URL_S3: gates.get('s3')!.url,
        // Lambda runs Node 24; this machine's Node 20 would make every client warn.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(options.logLevel
          ? { POWERTOOLS_LOG_LEVEL: options.logLevel, POWERTOOLS_METRICS_DISABLED: String(options.logLevel !== 'INFO' && options.logLevel !== 'DEBUG') }
          : {}),
        ...(options.logEvent === undefined ? {} : { POWERTOOLS_LOGGER_LOG_EVENT: String(options.logEvent) }),
      };
      const lines: string[] = [];
      logs.set(fn.id, lines);
      functions.set(
        fn.id,
        startLocalFunction({
          name: fn.id,
          code: bundle.outputFiles[0]!.text,
          environment,
          timeoutMs: fn.timeoutSeconds * 1000,
          maxInstances: 4,
          onLogLine: (line) => {
            // Kept bounded: a long `npm start` session must not grow without end.
            if (lines.push(line) > MAX_LOG_LINES) lines.shift();
            if (options.printLogs ?? true) process.stdout.write(`${line}\n`);
          },
        }),
      );
    }
  }
  closers.push(() => Promise.all([...functions.values()].map((f) => f.close())));

  // Event source mappings, last, so no message is consumed before its function exists. Each polls
  // with its function's role, which must allow receiving and deleting, as Lambda's poller does.
  const sources = options.workflows.flatMap((wf) =>
    wf.queues.map((q) =>
      startSqsEventSource({
        sqs: new SQSClient({ endpoint: gates.get('sqs')!.url, region, credentials: { accessKeyId: q.consumer, secretAccessKey: 'local' } }),
        queueUrl: gatedQueueUrl(q.id),
        queueArn: queueArn(q.id),
        region,
        batchSize: q.batchSize ?? 10,
        invoke: (event: SQSEvent) => invoke(q.consumer)(event),
        ...(options.onError ? { onError: options.onError } : {}),
      }),
    ),
  );
  closers.push(() => Promise.all(sources.map((s) => s.stop())));

  const queueDepth = async (name: string): Promise<number> => {
    // Delayed messages count too: a start waiting its turn is work not yet done.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl(name),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };

  return {
    apiUrl: api.url,
    ...(opsApi ? { opsApiUrl: opsApi.url } : {}),
    webhookBaseUrl: webhookBaseUrl ?? api.url,
    logsOf: (functionId) => logs.get(functionId) ?? [],
    iamRefusals: () => [...[...gates.values()].flatMap((g) => g.refusals), ...stateMachineRefusals],
    gatedEndpoints: Object.fromEntries([...gates].map(([service, gate]) => [service, gate.url])) as Record<GatedService, string>,
    endpoints,
    tableNames,
    queueUrls,
    stepFunctions,
    eventBus,
    partnerBuses,
    scheduler,
    payloadArchive: {
      bucket: payloadArchiveBucket,
      versions: (key) => s3.versions(payloadArchiveBucket, key),
      object: (key) => s3.object(payloadArchiveBucket, key),
    },
    topology: {
      functions: options.workflows.flatMap((wf) => wf.functions.map((f) => f.id)),
      queues: options.workflows.flatMap((wf) => wf.queues.map((q) => q.id)),
      routes: [...routes, ...opsRoutes].map((r) => `${r.method} /${r.path}`),
      rules: rules.map((r) => r.name),
      schedules: scheduler.names,
      stateMachines: options.workflows.flatMap((wf) => wf.stateMachines.map((s) => s.id)),
    },
    async settled(timeoutMs = 300_000) {
      // Work can cascade (queue → function → bus → queue → execution), so loop until a pass finds nothing.
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        await scheduler.settled();
        await eventBus.settled();
        await Promise.all(stepFunctions.executions.map((e) => e.done));
        const depths = await Promise.all(options.workflows.flatMap((wf) => wf.queues.map((q) => queueDepth(q.id))));
        const running = stepFunctions.executions.some((e) => e.status === 'RUNNING');
        if (depths.every((d) => d === 0) && !running) {
          await eventBus.settled();
          if (!stepFunctions.executions.some((e) => e.status === 'RUNNING')) return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`The local stack did not settle within ${timeoutMs} ms`);
    },
    async stop() {
      for (const close of closers.reverse()) await close();
    },
  };
}
