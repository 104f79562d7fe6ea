import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { CanonicalEvent, DeploymentConfig } from '../../canonical';
import type { BusinessCentralErp } from '../business-central/business-central-erp';
import { DynamoDbBillingLedger } from '../dynamodb/billing-ledger';
import type { BillingLedger } from '../ports/billing-ledger';
import { type AuditEntry, type AuditTrail, DynamoDbAuditTrail, lastWriteAt } from '../shared/audit-trail';
import { publishCanonical } from '../shared/canonical-bus';
import { documents } from '../shared/clients/dynamodb';
import { sqs } from '../shared/clients/sqs';
import { DynamoDbCrossReferenceRegistry } from '../shared/cross-reference/dynamodb-registry';
import { DurableExceptionRecorder } from '../shared/exceptions';
import { InstantCheckpointStore, PollCheckpointStore } from '../shared/polling/checkpoint-store';
import type { PollDependencies } from '../shared/polling/poll-and-publish';
import { sendAll } from '../shared/queue';
import { deploymentConfig } from '../shared/runtime';
import { adapters, type CallContext, type SecretReader } from './adapters';
import { declarationOf, type FunctionEnvironment, FunctionEnvironmentError, functionEnvironment } from './function-environment';
import { vendorSecret } from './secrets';
import { regionLimiter } from './vendor-limiter';

/** Audit entries are kept this many days (the audit table's TTL); one number for every flow. */
export const AUDIT_RETENTION_DAYS = 400;

/**
 * The rules of each kind of flow, in one place:
 * - `sync`: master data and status updates. Vendor calls hold the instance's slots but leave the
 *   slots reserved for billing free; every write is recorded in the audit trail.
 * - `billing`: a billing run's steps. Vendor calls may take the reserved slots; writes are audited.
 * - `read`: polls and the intake's re-reads. Vendor calls hold non-reserved slots; a read flow writes
 *   no business record, so a write reaching the audit trail is refused as a defect, not dropped.
 */
export type FlowRule = 'sync' | 'billing' | 'read';

const RULES: Readonly<Record<FlowRule, { readonly limiter: 'billing' | 'other'; readonly audited: boolean }>> = {
  sync: { limiter: 'other', audited: true },
  billing: { limiter: 'billing', audited: true },
  read: { limiter: 'other', audited: false },
};

/** The ports of the configured vendor instances, as one call context sees them. */
export type Ports = ReturnType<typeof adapters>;

/** Everything a handler needs, built once per container for one function. */
export interface Wiring {
  readonly functionId: string;
  readonly env: FunctionEnvironment;
  readonly config: DeploymentConfig;
  readonly clock: () => Date;
  readonly secrets: SecretReader;
  /** The ports of a call (an execution, a record) under the function's flow rule. */
  ports(context: { readonly execution: string; readonly correlationId: string }): Ports;
  /** The Business Central adapter of an instance for the webhook side, kept for the container so its token is reused. */
  businessCentral(instance: string): BusinessCentralErp;
  registry(): DynamoDbCrossReferenceRegistry;
  ledger(): BillingLedger;
  exceptions(): DurableExceptionRecorder;
  /** When we last wrote a vendor record (the change intake's echo check). */
  lastOwnWrite(record: Pick<AuditEntry, 'vendor' | 'instance' | 'recordType' | 'recordKey'>): Promise<Date | undefined>;
  /** Puts canonical events on the region's bus, all or nothing. */
  publish(source: string, events: readonly CanonicalEvent[]): Promise<void>;
  /** Sends messages to one of the function's declared queues, all or nothing. */
  send(queue: string, bodies: readonly unknown[]): Promise<void>;
  /** Asks for the next poll of an instance at once, on the poll's own request queue. */
  pollAgain(queue: string, instance: string): Promise<void>;
  /** What `pollAndPublish` needs: the checkpoint store, the bus and the clock. */
  pollDependencies(): PollDependencies;
  /** Checkpoints that are one instant (reconciliation runs). */
  instantCheckpoints(): InstantCheckpointStore;
}

const containers = new Map<string, Wiring>();

/**
 * The wiring of one function, checked at cold start: its environment against its declared uses, and,
 * when it calls vendors, that its declaration gives the flow rule what the rule needs (the limiter's
 * slots live in the idempotency table; audited flows need the audit table).
 */
export function wiring(functionId: string, flow?: FlowRule): Wiring {
  const cached = containers.get(`${functionId}:${flow ?? ''}`);
  if (cached) return cached;
  const env = functionEnvironment(functionId);
  const { file } = declarationOf(functionId);
  const rule = flow === undefined ? undefined : RULES[flow];
  if (rule) {
    const needs: [boolean, string][] = [
      [env.declares('vendorSecrets'), "{ kind: 'vendorSecrets' }"],
      [env.declares('table', 'idempotency'), "{ kind: 'table', table: 'idempotency' } (the vendor limiter's slots)"],
      [!rule.audited || env.declares('table', 'audit'), "{ kind: 'table', table: 'audit' } (its writes are audited)"],
    ];
    for (const [ok, use] of needs)
      if (!ok) throw new FunctionEnvironmentError(`${functionId} runs the ${flow} flow rule but does not declare ${use} in ${file}`);
  }
  const config = deploymentConfig();
  const clock = () => new Date();
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const auditTrail = once(
    (): AuditTrail =>
      rule?.audited
        ? new DynamoDbAuditTrail(documents(), env.tableName('audit'), AUDIT_RETENTION_DAYS)
        : {
            record: async (entry) => {
              throw new Error(`${functionId} runs a read flow but tried to write ${entry.vendor} ${entry.recordType} ${entry.recordKey}`);
            },
          },
  );
  const limiter = once(() => {
    if (!rule || !flow) throw new FunctionEnvironmentError(`${functionId} calls vendors but its wiring names no flow rule`);
    return regionLimiter(rule.limiter, { config, region: env.region, documents: documents(), idempotencyTable: env.tableName('idempotency') });
  });
  const businessCentral = new Map<string, BusinessCentralErp>();
  const registry = once(() => new DynamoDbCrossReferenceRegistry(documents(), env.tableName('crossReferences')));
  const ledger = once(() => new DynamoDbBillingLedger(documents(), env.tableName('billingLedger')));
  const exceptions = once(() => new DurableExceptionRecorder(documents(), env.tableName('exceptions'), sqs(), env.exceptionQueueUrl()));
  const checkpoints = once(() => new PollCheckpointStore(documents(), env.tableName('idempotency')));
  const publish = (source: string, events: readonly CanonicalEvent[]) => publishCanonical(env.eventBusName(), source, events);
  const built: Wiring = {
    functionId,
    env,
    config,
    clock,
    secrets: vendorSecret,
    ports: (context) => adapters(config, vendorSecret, { audit: auditTrail(), ...context } satisfies CallContext, limiter()),
    businessCentral: (instance) => {
      let erp = businessCentral.get(instance);
      if (erp === undefined) {
        const context = { audit: auditTrail(), execution: `business-central-${instance}`, correlationId: `business-central-${instance}` };
        erp = adapters(config, vendorSecret, context, limiter()).businessCentralFor(instance);
        businessCentral.set(instance, erp);
      }
      return erp;
    },
    registry,
    ledger,
    exceptions,
    lastOwnWrite: (record) => lastWriteAt(documents(), env.tableName('audit'), record),
    publish,
    send: (queue, bodies) => sendAll(sqs(), env.queueUrl(queue), bodies),
    pollAgain: async (queue, instance) => {
      await sqs().send(new SendMessageCommand({ QueueUrl: env.queueUrl(queue), MessageBody: JSON.stringify({ instance, reason: 'backlog' }) }));
    },
    pollDependencies: () => ({ checkpoints: checkpoints(), publish, now: clock }),
    instantCheckpoints: once(() => new InstantCheckpointStore(documents(), env.tableName('idempotency'))),
  };
  containers.set(`${functionId}:${flow ?? ''}`, built);
  return built;
}
