import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DeploymentConfig, RegionConfig } from '../canonical/deployment-config';
import type { Workflow } from '../canonical/workflows';
import { AlarmTopic } from './alarm-topic';
import { alarmOnAccountThrottles } from './alarms';
import { AuditTrailTable } from './audit-trail-table';
import { BillingLedgerTable } from './billing-ledger-table';
import { CrossReferenceTable } from './cross-reference-table';
import { EventRelaySources } from './event-relay-sources';
import { ExceptionStore } from './exception-store';
import { IdempotencyTable } from './idempotency-table';
import { MoneyAtRiskAlarms } from './money-at-risk-alarms';
import { OperationsDashboard } from './operations-dashboard';
import { OpsApi } from './ops-api';
import { PayloadArchive } from './payload-archive';
import { SyncEncryptionKey } from './sync-encryption-key';
import { SyncEventBus } from './sync-event-bus';
import { type SharedTable, servingInstances, type WorkflowDeclaration } from './topology/declarations';
import { STACK_OUTPUTS, webhookPath } from './topology/outputs';
import { WORKFLOWS } from './topology/workflows';
import { WebhookApi } from './webhook-api';
import { pascalCase, WorkflowResources, workflowConstructId } from './workflow-resources';

/** Properties of {@link SyncRegionStack}. */
export interface SyncRegionStackProps extends StackProps {
  /** The validated deployment configuration; the stack takes what concerns its region. */
  readonly config: DeploymentConfig;
  /**
   * The workflows to build. @default WORKFLOWS, every workflow of the product; the local stack passes
   * the declarations it runs, so its template is theirs.
   */
  readonly workflows?: readonly WorkflowDeclaration[];
  /** The region this stack serves, one of `config.regions`. */
  readonly regionConfig: RegionConfig;
}

/**
 * One region's shared core: the canonical event bus and its archive, the Salesforce Event Relay
 * associations, the cross-reference and idempotency tables, the webhook API, the region's KMS key
 * and the alarm topic. Workflows add their state machines, handlers and queues on top.
 */
export class SyncRegionStack extends Stack {
  /** The region's customer-managed key. */
  public readonly encryptionKey: SyncEncryptionKey;
  /** Our canonical event bus with its archive. */
  public readonly eventBus: SyncEventBus;
  /** Partner event buses of the Salesforce Event Relays configured for this region. */
  public readonly eventRelays: EventRelaySources;
  /** Global id ↔ system ids, with the version last applied per source. */
  public readonly crossReferences: CrossReferenceTable;
  /** Powertools idempotency records for every vendor write. */
  public readonly idempotency: IdempotencyTable;
  /** Contracts, approved work and invoices of time and expenses to invoice. */
  public readonly billingLedger: BillingLedgerTable;
  /** The webhook REST API. */
  public readonly webhookApi: WebhookApi;
  /** The IAM-authorized ops API, when the stack deploys the operations declaration. */
  public readonly opsApi?: OpsApi;
  /** Where every alarm of the region goes. */
  public readonly alarms: AlarmTopic;
  /** Business exceptions, kept until resolved, and their announcements. */
  public readonly exceptions: ExceptionStore;
  /** The append-only record of every vendor write. */
  public readonly auditTrail: AuditTrailTable;
  /** Raw inbound payloads and vendor-write bodies under Object Lock, named by hash from the audit trail. */
  public readonly payloadArchive: PayloadArchive;
  /** Each workflow's functions, queues, routes, rules and state machines, by workflow. */
  public readonly workflows = new Map<string, WorkflowResources>();

  constructor(scope: Construct, id: string, props: SyncRegionStackProps) {
    super(scope, id, {
      terminationProtection: props.regionConfig.terminationProtection,
      ...props,
      // Stack tags, which CloudFormation puts on every resource that takes tags (cost allocation).
      tags: { ...props.tags, owner: props.config.tags.owner, 'cost-center': props.config.tags.costCenter },
    });
    const { config, regionConfig } = props;
    if (props.env?.region !== undefined && props.env.region !== regionConfig.region) {
      throw new Error(`Stack ${id} is deployed to ${props.env.region} but configured for ${regionConfig.region}`);
    }

    this.encryptionKey = new SyncEncryptionKey(this, 'EncryptionKey', { alias: `alias/${config.name}-${config.stage}` });
    const key = this.encryptionKey.key;
    this.eventBus = new SyncEventBus(this, 'EventBus', {
      encryptionKey: key,
      archiveRetention: Duration.days(regionConfig.eventArchiveRetentionDays),
    });
    this.eventRelays = new EventRelaySources(this, 'EventRelays', { config, region: regionConfig.region });
    this.crossReferences = new CrossReferenceTable(this, 'CrossReferences', { encryptionKey: key });
    this.idempotency = new IdempotencyTable(this, 'Idempotency', { encryptionKey: key });
    this.billingLedger = new BillingLedgerTable(this, 'BillingLedger', { encryptionKey: key });
    this.alarms = new AlarmTopic(this, 'Alarms', { encryptionKey: key, emails: regionConfig.alarmEmails });
    this.webhookApi = new WebhookApi(this, 'WebhookApi', {
      stageName: config.stage,
      encryptionKey: key,
      alarmTopic: this.alarms.topic,
      maxBodyBytes: regionConfig.webhooks.maxBodyBytes,
      throttleRateLimit: regionConfig.webhooks.throttleRateLimit,
      throttleBurstLimit: regionConfig.webhooks.throttleBurstLimit,
      waf: regionConfig.webhooks.waf,
    });
    this.exceptions = new ExceptionStore(this, 'Exceptions', { encryptionKey: key, alarmTopic: this.alarms.topic });
    this.auditTrail = new AuditTrailTable(this, 'AuditTrail', { encryptionKey: key });
    this.payloadArchive = new PayloadArchive(this, 'PayloadArchive', { encryptionKey: key, retention: config.operations.payloadRetention });

    const declarations = props.workflows ?? WORKFLOWS;
    if (declarations.some((d) => d.routes.some((r) => r.api === 'operations')))
      this.opsApi = new OpsApi(this, 'OpsApi', { stageName: config.stage, encryptionKey: key, alarmTopic: this.alarms.topic });
    for (const declaration of declarations) {
      this.workflows.set(
        declaration.workflow,
        new WorkflowResources(this, workflowConstructId(declaration.workflow), {
          declaration,
          config,
          regionConfig,
          encryptionKey: key,
          tables: {
            crossReferences: this.crossReferences.table,
            idempotency: this.idempotency.table,
            exceptions: this.exceptions.table,
            billingLedger: this.billingLedger.table,
          },
          auditTrail: this.auditTrail,
          payloadArchive: this.payloadArchive,
          eventBus: this.eventBus.bus,
          partnerBuses: this.eventRelays.partnerBuses,
          exceptionQueue: this.exceptions.queue,
          webhookApi: this.webhookApi,
          ...(this.opsApi ? { opsApi: this.opsApi } : {}),
          workflowStateMachines: new Map([...this.workflows.values()].flatMap((w) => [...w.stateMachines])),
          workQueues: new Map([...this.workflows.values()].flatMap((w) => [...w.queues])),
          alarmTopic: this.alarms.topic,
        }),
      );
    }

    alarmOnAccountThrottles(this, this.alarms.topic);
    // Alarms by business impact on the money-at-risk metrics, where the ops parts that publish them are built.
    if (this.workflows.has('ops'))
      new MoneyAtRiskAlarms(this, 'MoneyAtRisk', {
        config,
        workflows: [...this.workflows.keys()].filter((w): w is Workflow => w !== 'ops'),
        topic: this.alarms.topic,
      });
    const workflows = [...this.workflows.values()];
    new OperationsDashboard(this, 'Operations', {
      stateMachines: new Map(workflows.flatMap((w) => [...w.stateMachines.entries()])),
      deadLetterQueues: new Map(workflows.flatMap((w) => [...w.queues.entries()].map(([name, q]) => [name, q.deadLetterQueue] as const))),
      functions: new Map(workflows.flatMap((w) => [...w.functions.entries()])),
      exceptionQueue: this.exceptions.queue,
      api: this.webhookApi.api,
      ...(this.workflows.has('ops') ? { metricsNamespace: `${config.name}-${config.stage}` } : {}),
    });

    new CfnOutput(this, 'EventBusName', { value: this.eventBus.bus.eventBusName });
    new CfnOutput(this, STACK_OUTPUTS.webhookBaseUrl, { value: this.webhookApi.api.url });
    if (this.opsApi)
      new CfnOutput(this, STACK_OUTPUTS.opsApiUrl, {
        value: this.opsApi.api.url,
        description: 'Where `npm run ops -- --region <region>` sends its signed requests',
      });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.payloadArchiveBucketName, {
      value: this.payloadArchive.bucket.bucketName,
      description: "Where an audit entry's payload is: s3://<bucket>/payloads/<payloadSha256>",
    });
    this.addSmokeOutputs(config, regionConfig);
  }

  /**
   * The URLs to register with vendors, and where each function's tables, queues and state machines are,
   * so an operator (and `npm run smoke`) reads them from the stack instead of the console.
   */
  private addSmokeOutputs(config: DeploymentConfig, regionConfig: RegionConfig): void {
    // The URL the vendor calls and signs: the configured public base URL, else the API's own with its stage.
    const publicBase = regionConfig.webhooks.publicBaseUrl?.replace(/\/+$/, '');
    const webhookUrl = (path: string) => (publicBase === undefined ? `${this.webhookApi.api.url}${path}` : `${publicBase}/${path}`);
    for (const instance of servingInstances(config, regionConfig.region, 'hubspot')) {
      new CfnOutput(this, STACK_OUTPUTS.hubSpotWebhookUrl(instance), {
        value: webhookUrl(webhookPath('hubspot', instance)),
        description: `Register as the target URL of the HubSpot app's webhooks for ${instance}`,
      });
    }
    for (const instance of servingInstances(config, regionConfig.region, 'business-central')) {
      new CfnOutput(this, STACK_OUTPUTS.businessCentralWebhookUrl(instance), {
        value: webhookUrl(webhookPath('business-central', instance)),
        description: `Subscribed in Business Central for ${instance} by the hourly renewal job`,
      });
    }
    const tables = {
      crossReferences: this.crossReferences.table,
      idempotency: this.idempotency.table,
      exceptions: this.exceptions.table,
      audit: this.auditTrail.table,
      billingLedger: this.billingLedger.table,
    };
    for (const [table, construct] of Object.entries(tables)) new CfnOutput(this, STACK_OUTPUTS.tables[table as SharedTable], { value: construct.tableName });
    new CfnOutput(this, STACK_OUTPUTS.exceptionQueueUrl, { value: this.exceptions.queue.queueUrl });
    for (const workflow of this.workflows.values()) {
      for (const [id, queue] of workflow.queues) new CfnOutput(this, STACK_OUTPUTS.queueUrl(id), { value: queue.queue.queueUrl });
      for (const [id, machine] of workflow.stateMachines) new CfnOutput(this, STACK_OUTPUTS.stateMachineArn(id), { value: machine.stateMachineArn });
    }
  }
}

/** The workflows every regional stack deploys; flow switches decide at run time where each acts. */
export { WORKFLOWS };

/** The stack id of a region: stable, derived from the deployment name, stage and region. */
export function regionStackId(config: DeploymentConfig, region: string): string {
  return `${pascalCase(config.name)}-${pascalCase(config.stage)}-${region}`;
}
