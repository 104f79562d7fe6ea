import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import type { DeploymentConfig, RegionConfig } from '../canonical/deployment-config';
import type { Workflow } from '../canonical/workflows';
import { alarmOnExecutions, alarmOnFunction, invokerOf } from './alarms';
import type { AuditTrailTable } from './audit-trail-table';
import { grantDeadLetterQueues } from './dead-letter-queue-access';
import { FailureQueue } from './failure-queue';
import type { OpsApi } from './ops-api';
import type { PayloadArchive } from './payload-archive';
import { BUNDLE_TARGET, baseEnvironment, bundleDefines, LAMBDA_NODE_MAJOR } from './topology/bundling';
import {
  assertConsistent,
  environmentVariableFor,
  type FunctionUse,
  relayRuleInstances,
  type SharedTable,
  scheduleInstances,
  secretInstancesOf,
  usesOf,
  type WorkflowDeclaration,
} from './topology/declarations';
import type { WebhookApi } from './webhook-api';
import { WorkQueue } from './work-queue';

const REPOSITORY_ROOT = join(__dirname, '..');

/** The tag that names the declaration a resource was built from; the local-parity test reads it. */
export const DECLARATION_TAG = 'ps-sync:declaration';

/** Properties of {@link WorkflowResources}. */
export interface WorkflowResourcesProps {
  readonly declaration: WorkflowDeclaration;
  readonly config: DeploymentConfig;
  readonly regionConfig: RegionConfig;
  readonly encryptionKey: kms.IKey;
  readonly tables: Readonly<Record<Exclude<SharedTable, 'audit'>, dynamodb.ITable>>;
  readonly auditTrail: AuditTrailTable;
  readonly eventBus: events.IEventBus;
  /** The partner event bus of each relay into the region, by its partner event source's name. */
  readonly partnerBuses: ReadonlyMap<string, events.IEventBus>;
  readonly exceptionQueue: sqs.IQueue;
  readonly webhookApi: WebhookApi;
  /** The ops API, for declarations with `operations` routes. */
  readonly opsApi?: OpsApi;
  /** The state machines of the workflows built before this one, by id, for `workflowExecutions` uses. */
  readonly workflowStateMachines?: ReadonlyMap<string, sfn.IStateMachine>;
  /** The work queues of the workflows built before this one, by id, for `deadLetterQueues` uses (with the workflow's own). */
  readonly workQueues?: ReadonlyMap<string, WorkQueue>;
  readonly alarmTopic: sns.ITopic;
  /** Where raw inbound payloads and vendor-write bodies are kept, for `payloadArchive` uses. */
  readonly payloadArchive: PayloadArchive;
}

/**
 * Builds one workflow's functions, queues, routes, rules and state machines from its declaration,
 * with least-privilege grants derived from each function's declared uses.
 */
export class WorkflowResources extends Construct {
  /** Functions by declaration id. */
  public readonly functions = new Map<string, nodejs.NodejsFunction>();
  /** Work queues by declaration id. */
  public readonly queues = new Map<string, WorkQueue>();
  /** State machines by declaration id. */
  public readonly stateMachines = new Map<string, sfn.StateMachine>();
  /** The dead-letter queue of each rule, relay rule and schedule target, by its name (`<id>` or `<id>-<instance>`). */
  public readonly targetFailures = new Map<string, FailureQueue>();

  constructor(scope: Construct, id: string, props: WorkflowResourcesProps) {
    super(scope, id);
    const { declaration, config, regionConfig } = props;
    assertConsistent(declaration);
    const stack = Stack.of(this);

    // State machines need their functions' ARNs, and starters need the state machines' ARNs: create
    // functions first, then state machines, then grant.
    for (const fn of declaration.functions) {
      const logGroup = new logs.LogGroup(this, `${fn.id}Logs`, {
        encryptionKey: props.encryptionKey,
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
      const role = new iam.Role(this, `${fn.id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${fn.id}: ${fn.description}`,
      });
      logGroup.grantWrite(role);
      const handler = new nodejs.NodejsFunction(this, fn.id, {
        role,
        entry: join(REPOSITORY_ROOT, fn.entry),
        handler: 'handler',
        description: fn.description,
        // The same Node major as the bundles' esbuild target (LAMBDA_NODE_MAJOR).
        runtime: lambdaRuntime(),
        architecture: lambda.Architecture.ARM_64,
        timeout: Duration.seconds(fn.timeoutSeconds),
        memorySize: fn.memoryMb ?? 512,
        // X-Ray off: the logs explain each record, Tracer would cost every bundle and await (ADR 0019).
        tracing: lambda.Tracing.DISABLED,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: baseEnvironment(declaration.workflow, config, regionConfig.region),
        bundling: {
          minify: true,
          sourceMap: true,
          target: BUNDLE_TARGET,
          format: nodejs.OutputFormat.CJS,
          define: bundleDefines(config),
          externalModules: [],
        },
      });
      Tags.of(handler).add(DECLARATION_TAG, `function/${fn.id}`);
      Validations.of(role).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          reason: "CDK's grant on the region's single customer-managed key; GenerateDataKey* is KMS's own action family for envelope encryption.",
        },
        {
          id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
          reason: "CDK's grant on the region's single customer-managed key; ReEncrypt* covers ReEncryptFrom and ReEncryptTo on that key only.",
        },
      );
      alarmOnFunction(this, fn.id, handler, invokerOf(declaration, fn.id), props.alarmTopic);
      this.functions.set(fn.id, handler);
    }

    for (const q of declaration.queues) {
      const consumer = this.functions.get(q.consumer)!;
      const consumerTimeout = declaration.functions.find((f) => f.id === q.consumer)!.timeoutSeconds;
      const workQueue = new WorkQueue(this, q.id, {
        encryptionKey: props.encryptionKey,
        visibilityTimeout: Duration.seconds(consumerTimeout * 6),
        retentionPeriod: Duration.days(q.retentionDays ?? 4),
        maxReceiveCount: q.maxReceiveCount ?? 5,
        alarmTopic: props.alarmTopic,
        description: q.description,
      });
      Tags.of(workQueue.queue).add(DECLARATION_TAG, `queue/${q.id}`);
      Tags.of(workQueue.deadLetterQueue).add(DECLARATION_TAG, `dead-letter-queue/${q.id}`);
      consumer.addEventSource(
        new SqsEventSource(workQueue.queue, {
          batchSize: q.batchSize ?? 10,
          reportBatchItemFailures: true,
          ...(q.maxConcurrency === undefined ? {} : { maxConcurrency: q.maxConcurrency }),
        }),
      );
      this.queues.set(q.id, workQueue);
    }

    for (const s of declaration.stateMachines) {
      const functionArns = Object.fromEntries(Object.entries(s.tasks).map(([placeholder, fnId]) => [placeholder, this.functions.get(fnId)!.functionArn]));
      const logGroup = new logs.LogGroup(this, `${s.id}Logs`, {
        encryptionKey: props.encryptionKey,
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const machine = new sfn.StateMachine(this, s.id, {
        stateMachineName: stateMachineName(stack.stackName, s.id),
        definitionBody: sfn.DefinitionBody.fromString(readFileSync(join(REPOSITORY_ROOT, s.definitionFile), 'utf8')),
        definitionSubstitutions: functionArns,
        stateMachineType: sfn.StateMachineType.STANDARD,
        timeout: Duration.seconds(s.timeoutSeconds),
        tracingEnabled: false,
        // Execution data can carry customer names and amounts: log events, not payloads.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
        // The definition and execution history (inputs hold names and amounts) under the region's key.
        encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey),
      });
      for (const fnId of new Set(Object.values(s.tasks))) {
        const fn = this.functions.get(fnId)!;
        fn.grantInvoke(machine);
        Validations.of(machine).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
          reason:
            'grantInvoke also covers the versions and aliases of this one function (its ARN followed by :*), as Step Functions may invoke a qualified ARN.',
        });
      }
      Validations.of(machine).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'CloudWatch Logs delivery for Step Functions (logs:CreateLogDelivery and related) accepts only * as resource.',
        },
        {
          id: 'AwsSolutions-SF2',
          reason:
            'X-Ray is off across the stack (ADR 0019): execution histories, event logs and per-record log lines explain failures; a trace without Tracer would hold no vendor or SDK call.',
        },
      );
      Tags.of(machine).add(DECLARATION_TAG, `state-machine/${s.id}`);
      alarmOnExecutions(this, s.id, machine, Duration.seconds(s.timeoutSeconds), props.alarmTopic);
      this.stateMachines.set(s.id, machine);
    }

    for (const r of declaration.routes) {
      const ops = (r.api ?? 'webhooks') === 'operations';
      if (ops && props.opsApi === undefined) throw new Error(`Route ${r.method} ${r.path} is on the ops API, which the stack did not build`);
      const api = ops ? props.opsApi! : props.webhookApi;
      const resource = r.path.split('/').reduce<apigateway.IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), api.api.root);
      // The ops API's routes all call one function, which routes by resource: one invoke permission for
      // the API instead of two per method keeps the region's stack within CloudFormation's 500 resources.
      const integration = new apigateway.LambdaIntegration(this.functions.get(r.function)!, ops ? { scopePermissionToMethod: false } : {});
      resource.addMethod(r.method, integration, {
        requestValidator: api.requestValidator,
        requestParameters: Object.fromEntries([...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [`method.request.path.${name}`, true])),
        // Spelled out although the ops API's default: a route on it can never be left open.
        ...(ops ? { authorizationType: apigateway.AuthorizationType.IAM } : {}),
      });
    }

    for (const r of declaration.rules) {
      const delivery = this.targetDelivery('events rule', r.id, r, props);
      const rule = new events.Rule(this, r.id, {
        // AWS services put their events (Step Functions' status changes) on the account's default bus.
        eventBus: r.bus === 'default' ? events.EventBus.fromEventBusName(this, `${r.id}DefaultBus`, 'default') : props.eventBus,
        description: r.description,
        eventPattern: r.eventPattern as events.EventPattern,
      });
      rule.addTarget(new targets.SqsQueue(this.queues.get(r.targetQueue)!.queue, delivery));
      Tags.of(rule).add(DECLARATION_TAG, `rule/${r.id}`);
    }

    for (const r of declaration.relayRules ?? []) {
      for (const { name: id, eventSourceName, eventPattern } of relayRuleInstances(config, regionConfig.region, r)) {
        const delivery = this.targetDelivery('relay rule', id, r, props);
        const rule = new events.Rule(this, id, {
          eventBus: props.partnerBuses.get(eventSourceName)!,
          description: r.description,
          eventPattern: eventPattern as events.EventPattern,
        });
        rule.addTarget(new targets.SqsQueue(this.queues.get(r.targetQueue)!.queue, delivery));
        Tags.of(rule).add(DECLARATION_TAG, `rule/${id}`);
      }
    }

    for (const s of declaration.schedules ?? []) {
      for (const { name: id, message } of scheduleInstances(config, regionConfig.region, s)) {
        const delivery = this.targetDelivery('schedule', id, s, props);
        // Our own role, so its grants (send to one queue, use the region's key for it) are visible here.
        const role = new iam.Role(this, `${id}Role`, {
          assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
          description: `${id}: ${s.description}`,
        });
        Validations.of(role).acknowledge(
          {
            id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
            reason:
              "CDK's grant on the region's single customer-managed key, needed to send to the encrypted work queue; GenerateDataKey* is KMS's own action family.",
          },
          {
            id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
            reason: "CDK's grant on the region's single customer-managed key; ReEncrypt* covers ReEncryptFrom and ReEncryptTo on that key only.",
          },
        );
        const schedule = new scheduler.Schedule(this, id, {
          description: s.description,
          schedule: scheduler.ScheduleExpression.expression(s.expression),
          target: new schedulerTargets.SqsSendMessage(this.queues.get(s.targetQueue)!.queue, {
            role,
            input: scheduler.ScheduleTargetInput.fromObject(message),
            ...delivery,
          }),
        });
        // Schedules carry no tags in CloudFormation; the parity test reads their names instead.
        (schedule.node.defaultChild as scheduler.CfnSchedule).name = scheduleName(Stack.of(this).stackName, id);
      }
    }

    for (const fn of declaration.functions) {
      const handler = this.functions.get(fn.id)!;
      // A route's function gets the webhook base URL among its uses (usesOf).
      for (const use of usesOf(declaration, fn)) this.grantUse(handler, use, props);
    }

    // Only the secrets of instances that serve this region's legal entities (or relay into it), and of
    // those only the ones the function calls: by vendor (an intake), or by the role it writes to.
    for (const fn of declaration.functions) {
      const use = fn.uses.find((u): u is Extract<FunctionUse, { kind: 'vendorSecrets' }> => u.kind === 'vendorSecrets');
      if (use === undefined) continue;
      const secretArns = secretInstancesOf(config, regionConfig.region, use).map((v) =>
        stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${v.secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      );
      if (secretArns.length === 0) continue;
      // Hand-written: secret.grantRead would add secretsmanager:DescribeSecret, which no handler calls.
      this.functions.get(fn.id)!.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secretArns }));
    }
  }

  /**
   * How a rule, relay rule or schedule delivers to its queue: the declared retries and event age, and
   * its own dead-letter queue (`<name>TargetFailures`, a {@link WorkQueue}: encrypted, alarmed,
   * redrivable) for what it could not deliver. `what` names the kind in the DLQ alarm's description.
   */
  private targetDelivery(
    what: 'events rule' | 'relay rule' | 'schedule',
    name: string,
    declared: { readonly retryAttempts?: number; readonly maxEventAgeHours?: number },
    props: WorkflowResourcesProps,
  ): { retryAttempts: number; maxEventAge: Duration; deadLetterQueue: sqs.IQueue } {
    const targetFailures = new FailureQueue(this, `${name}TargetFailures`, {
      encryptionKey: props.encryptionKey,
      alarmTopic: props.alarmTopic,
      description: `${what} ${name} could not deliver to its queue`,
    });
    this.targetFailures.set(name, targetFailures);
    return { retryAttempts: declared.retryAttempts ?? 8, maxEventAge: Duration.hours(declared.maxEventAgeHours ?? 24), deadLetterQueue: targetFailures.queue };
  }

  /** The URL vendors call: the configured public base URL, or the API's own URL with its stage. */
  private webhookBaseUrl(props: WorkflowResourcesProps): string {
    return (
      props.regionConfig.webhooks.publicBaseUrl ??
      `https://${props.webhookApi.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${props.config.stage}/`
    );
  }

  private grantUse(handler: nodejs.NodejsFunction, use: FunctionUse, props: WorkflowResourcesProps): void {
    const variable = environmentVariableFor(use);
    switch (use.kind) {
      case 'table': {
        if (use.table === 'audit') {
          // Writers may only append; the change intake reads it as the own-write log.
          if (use.access === 'read') {
            props.auditTrail.table.grant(handler, ...TABLE_ACTIONS.read);
            props.encryptionKey.grantDecrypt(handler);
          } else props.auditTrail.grantAppend(handler);
          handler.addEnvironment(variable!, props.auditTrail.table.tableName);
          return;
        }
        // Only the actions the adapters call (TABLE_ACTIONS): grantReadWriteData would add Scan,
        // BatchWriteItem and DescribeTable, which no function uses.
        const table = props.tables[use.table];
        // Hand-written: table.grant would add the table's indexes (`<arn>/index/*`) for every user of a
        // table that has one, and only the exception inbox queries an index.
        handler.addToRolePolicy(
          new iam.PolicyStatement({
            actions: [...TABLE_ACTIONS[use.access === 'append' ? 'readWrite' : use.access]],
            resources: [table.tableArn, ...(use.indexes ? [`${table.tableArn}/index/*`] : [])],
          }),
        );
        if (use.indexes)
          Validations.of(handler.role!).acknowledge({
            id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(table.node.defaultChild as dynamodb.CfnGlobalTable)}.Arn>/index/*]`,
            reason: `The ${use.table} table's own indexes (the exception inbox lists open exceptions from one), and only for the function that declares indexes: true.`,
          });
        if (use.access === 'read') props.encryptionKey.grantDecrypt(handler);
        else props.encryptionKey.grantEncryptDecrypt(handler);
        handler.addEnvironment(variable!, table.tableName);
        return;
      }
      case 'queue':
        this.queues.get(use.queue)!.queue.grantSendMessages(handler);
        handler.addEnvironment(variable!, this.queues.get(use.queue)!.queue.queueUrl);
        return;
      case 'exceptionQueue':
        props.exceptionQueue.grantSendMessages(handler);
        handler.addEnvironment(variable!, props.exceptionQueue.queueUrl);
        return;
      case 'eventBus':
        props.eventBus.grantPutEventsTo(handler);
        handler.addEnvironment(variable!, props.eventBus.eventBusName);
        return;
      case 'stateMachine': {
        const machine = this.stateMachines.get(use.stateMachine)!;
        machine.grantStartExecution(handler);
        // The machine is encrypted with the region's key: Step Functions encrypts the input with the
        // caller's credentials, under the machine's ARN as encryption context (grantStartExecution adds no KMS).
        handler.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [props.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machine.stateMachineArn } },
          }),
        );
        // ListExecutions alone: grantRead would add DescribeExecution, GetExecutionHistory and more.
        if (use.access === 'startAndCount') machine.grant(handler, 'states:ListExecutions');
        handler.addEnvironment(variable!, machine.stateMachineArn);
        return;
      }
      case 'workflowExecutions': {
        const machines = use.stateMachines.map((id) => {
          const machine = props.workflowStateMachines?.get(id);
          if (machine === undefined) throw new Error(`${handler.node.id} reads executions of ${id}, which no workflow built before it declares`);
          return [id, machine] as const;
        });
        for (const [, machine] of machines) {
          machine.grantExecution(
            handler,
            ...(use.access === 'redrive' ? ['states:DescribeExecution', 'states:RedriveExecution'] : ['states:DescribeExecution']),
          );
          if (use.access === 'redrive') machine.grantStartExecution(handler);
          // Execution inputs are encrypted with the region's key under the machine's ARN as context.
          handler.addToRolePolicy(
            new iam.PolicyStatement({
              actions: use.access === 'redrive' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
              resources: [props.encryptionKey.keyArn],
              conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machine.stateMachineArn } },
            }),
          );
          // cdk-nag names the resource as the template renders it: known region, partition and account as text.
          const stack = Stack.of(this);
          const known = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
          const partition = Token.isUnresolved(stack.region) ? '<AWS::Partition>' : (RegionInfo.get(stack.region).partition ?? 'aws');
          const prefix = `arn:${partition}:states:${known(stack.region, 'Region')}:${known(stack.account, 'AccountId')}`;
          Validations.of(handler.role!).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${prefix}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine)}"}]}]}:*]`,
            reason:
              "The executions of this one state machine (its ARN's execution namespace): an execution's name is only known when it is retried or recorded.",
          });
        }
        handler.addEnvironment(variable!, Stack.of(this).toJsonString(Object.fromEntries(machines.map(([id, machine]) => [id, machine.stateMachineArn]))));
        return;
      }
      case 'vendorSecrets':
        return;
      case 'deadLetterQueues':
        // The queues of the workflows built before this one (the ops declaration comes last) and its own.
        grantDeadLetterQueues(handler, new Map([...(props.workQueues ?? []), ...this.queues]), props.encryptionKey, variable!);
        return;
      case 'webhookUrl':
        // Behind a stage or custom domain the URL a vendor signed cannot be rebuilt from the request.
        // Built from the API id and stage name, not api.url, which would make the function depend on the
        // deployment that depends on the function.
        handler.addEnvironment(variable!, this.webhookBaseUrl(props));
        return;
      case 'payloadArchive':
        props.payloadArchive.grantArchive(handler);
        handler.addEnvironment(variable!, props.payloadArchive.bucket.bucketName);
        return;
    }
  }
}

/** The DynamoDB actions each table access allows: those the adapters under lambdas/dynamodb and Powertools idempotency call. */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  record: ['dynamodb:UpdateItem'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const;

/** `opportunity-to-project` → `OpportunityToProject`. */
export function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/**
 * The construct id of a workflow's resources: its name in PascalCase (`OpportunityToProject`), so
 * adding or renaming a state machine leaves the logical ids of everything else in the workflow alone.
 */
export function workflowConstructId(workflow: Workflow | 'ops'): string {
  return pascalCase(workflow);
}

/**
 * A Scheduler name (at most 64 characters) that ends with the declared name, whole, and starts with the
 * stack's name so two stages in one account cannot collide; a stack name too long for both is cut and
 * followed by a hash of the whole, so the prefix stays unique.
 */
export function scheduleName(stackName: string, id: string): string {
  const name = stackScopedName(stackName, id, 64);
  if (name === undefined) throw new Error(`Schedule ${id} leaves no room for the stack's name within Scheduler's 64 characters; use a shorter instance id`);
  return name;
}

/**
 * A state machine's name (at most 80 characters), built like {@link scheduleName}. Named rather than
 * generated because CDK scopes the execution role's use of the encryption key to the state machine's
 * ARN by its name, and a generated name is not known at synth.
 */
export function stateMachineName(stackName: string, id: string): string {
  const name = stackScopedName(stackName, id, 80);
  if (name === undefined) throw new Error(`State machine ${id} leaves no room for the stack's name within 80 characters; use a shorter id`);
  return name;
}

/** `<stack name>-<id>` within `max` characters, the stack's name cut and hashed if need be; undefined if `id` leaves no room. */
function stackScopedName(stackName: string, id: string, max: number): string | undefined {
  const full = `${stackName}-${id}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  const room = max - id.length - hash.length - 2;
  if (room < 0) return undefined;
  return `${stackName.slice(0, room)}${room > 0 ? '-' : ''}${hash}-${id}`;
}

/** The Lambda runtime of `LAMBDA_NODE_MAJOR`, so the runtime and the bundles' target cannot drift apart. */
function lambdaRuntime(): lambda.Runtime {
  return new lambda.Runtime(`nodejs${LAMBDA_NODE_MAJOR}.x`, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
}
