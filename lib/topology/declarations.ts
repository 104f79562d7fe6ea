import { type DeploymentConfig, type EventRelayConfig, type RelayedEvents, relayedEvents, type VendorInstanceConfig } from '../../canonical/deployment-config';
import type { SystemRole, Vendor } from '../../canonical/systems';
import type { Workflow } from '../../canonical/workflows';

/**
 * Declarations of a workflow's moving parts: functions, queues, webhook routes, bus rules and state
 * machines. They are plain data (no CDK imports) because two builders read them: the CDK stacks
 * (`WorkflowResources`) and the local stack (`local/stack`). A test compares the synthesized
 * templates with the local topology, so neither can grow a part the other lacks.
 */

/** The shared tables of a region that functions may use. */
export type SharedTable = 'crossReferences' | 'idempotency' | 'exceptions' | 'audit' | 'billingLedger';

/** What a function may touch. Each use is both an IAM grant and an environment variable. */
export type FunctionUse =
  /** `record`: only UpdateItem, as the exception recorder's upsert needs (the internet-facing intakes). */
  | {
      readonly kind: 'table';
      readonly table: SharedTable;
      readonly access: 'read' | 'readWrite' | 'append' | 'record';
      /** Also query the table's indexes (the exception inbox); the table alone otherwise. */
      readonly indexes?: true;
    }
  | { readonly kind: 'queue'; readonly queue: string; readonly access: 'send' }
  | { readonly kind: 'exceptionQueue' }
  | { readonly kind: 'eventBus' }
  /** Starts executions; `startAndCount` may also list the running ones (to pace its starts). */
  | { readonly kind: 'stateMachine'; readonly stateMachine: string; readonly access?: 'start' | 'startAndCount' }
  /**
   * Reads vendor credentials, never all of them: of the region's instances of these vendors (an
   * intake reads its own vendor's), or of the instances the region's legal entities use in these
   * roles (a step that writes to the PSA reads the PSA instances').
   */
  | { readonly kind: 'vendorSecrets'; readonly vendors: readonly Vendor[] }
  /**
   * The secrets of the instances the region's legal entities use in these roles; with `parallelRun`,
   * also of their parallel-run ERPs (the reconciliation reads their invoices, nothing else calls them).
   */
  | { readonly kind: 'vendorSecrets'; readonly roles: readonly SystemRole[]; readonly parallelRun?: boolean }
  /** The webhook API's public base URL, for a function that tells a vendor where to call us. */
  | { readonly kind: 'webhookUrl' }
  /**
   * The executions of other workflows' state machines (by id): `describe` reads them, `redrive` also
   * redrives a failed one and starts one anew (the ops API's retry).
   */
  | { readonly kind: 'workflowExecutions'; readonly stateMachines: readonly string[]; readonly access: 'describe' | 'redrive' }
  /**
   * The dead-letter queues of every work queue of the region (the ops API's `dlq` commands): count and
   * peek at their messages, and redrive them to their source queues with SQS's message move tasks.
   */
  | { readonly kind: 'deadLetterQueues' }
  /**
   * Puts payloads into the payload archive (lib/payload-archive.ts), never reads or deletes them: an
   * intake's raw bodies; implied for every function that appends to the audit trail (see {@link usesOf}).
   */
  | { readonly kind: 'payloadArchive' };

/** A Lambda function: the handler file and what it may touch. */
export interface FunctionDeclaration {
  /** PascalCase id, also the construct id and the local function name. */
  readonly id: string;
  /** Handler file from the repository root, exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  /** @default 512 */
  readonly memoryMb?: number;
  readonly uses: readonly FunctionUse[];
}

/** A work queue with its dead-letter queue; its consumer is one of the workflow's functions. */
export interface QueueDeclaration {
  readonly id: string;
  readonly description: string;
  /** The function that consumes the queue (reports partial batch failures). */
  readonly consumer: string;
  /** @default 10 */
  readonly batchSize?: number;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 4 days */
  readonly retentionDays?: number;
  /** Consumer invocations at once (the event source's maximum concurrency, at least 2). @default unlimited */
  readonly maxConcurrency?: number;
}

/** A route on one of the region's REST APIs. */
export interface RouteDeclaration {
  readonly method: 'POST' | 'GET';
  /** Path below the API root, with `{param}` segments: `webhooks/hubspot/{instance}`. */
  readonly path: string;
  readonly function: string;
  /**
   * `webhooks`: the public API vendors call (their signatures checked in the handler); `operations`:
   * the ops API, which answers SigV4-signed requests of IAM principals allowed `execute-api:Invoke` only.
   * @default 'webhooks'
   */
  readonly api?: 'webhooks' | 'operations';
}

/** A rule on our canonical bus delivering matched events into one of the workflow's queues. */
export interface RuleDeclaration {
  readonly id: string;
  readonly description: string;
  readonly eventPattern: Readonly<Record<string, unknown>>;
  readonly targetQueue: string;
  /** @default 8 */
  readonly retryAttempts?: number;
  /** @default 24 */
  readonly maxEventAgeHours?: number;
  /** `default`: the account's default bus, where AWS services put their events (Step Functions' status changes). @default 'canonical' */
  readonly bus?: 'canonical' | 'default';
}

/**
 * A rule on the partner event bus of every Event Relay of `vendor` in the region whose channel carries
 * `events` (one rule per relay, see {@link relayRuleInstances}), delivering matched events into one of
 * the workflow's queues.
 */
export interface RelayRuleDeclaration {
  readonly id: string;
  readonly description: string;
  readonly vendor: Vendor;
  /** The relays the rule sits on: those whose channel carries change events, or platform events. */
  readonly events: RelayedEvents;
  /** The pattern; a function of the instance when it names the instance's settings (a platform event's API name). */
  readonly eventPattern: Readonly<Record<string, unknown>> | ((instance: VendorInstanceConfig) => Readonly<Record<string, unknown>>);
  readonly targetQueue: string;
  /** @default 8 */
  readonly retryAttempts?: number;
  /** @default 24 */
  readonly maxEventAgeHours?: number;
}

/**
 * An EventBridge Scheduler schedule sending a fixed message to one of the workflow's queues. With a
 * `vendor`, one schedule per instance of it (named `<id>-<instance>`, message `{ instance, reason }`):
 * the orgs relayed into the region, or the instances serving the region's legal entities. Without, one
 * schedule (named `<id>`, message `{ reason }`).
 */
export interface ScheduleDeclaration {
  readonly id: string;
  readonly description: string;
  /** `rate(...)` or `cron(...)`, as Scheduler takes it. */
  readonly expression: string;
  readonly vendor?: Vendor;
  /** @default 'relayed' */
  readonly instances?: 'relayed' | 'serving';
  readonly targetQueue: string;
  /** @default 8 */
  readonly retryAttempts?: number;
  /** @default 24 */
  readonly maxEventAgeHours?: number;
}

/** The instances of a vendor whose events are relayed into a region (once each, however many relays): the ones schedules are made for. */
export function relayedInstances(config: DeploymentConfig, region: string, vendor: Vendor): string[] {
  const vendorOf = new Map(config.vendorInstances.map((v) => [v.id, v.vendor]));
  return [...new Set(config.eventRelays.filter((r) => r.region === region && vendorOf.get(r.instance) === vendor).map((r) => r.instance))];
}

/** The channel id of a relay: the last part of its partner event source's name. */
function channelIdOf(relay: EventRelayConfig): string {
  return relay.eventSourceName.slice(relay.eventSourceName.lastIndexOf('/') + 1);
}

/**
 * The relays into a region, each with the name its partner bus is built under: `<instance>` for an
 * instance's first relay (as when one relay per instance was all there was, so an existing bus keeps
 * its construct id and is not replaced), `<instance>-<channelId>` for the ones after it.
 */
export function regionRelays(config: DeploymentConfig, region: string): { readonly relay: EventRelayConfig; readonly name: string }[] {
  const relays = config.eventRelays.filter((r) => r.region === region);
  return relays.map((relay, i) => ({
    relay,
    name: relays.slice(0, i).some((r) => r.instance === relay.instance) ? `${relay.instance}-${channelIdOf(relay)}` : relay.instance,
  }));
}

/**
 * Each rule a relay rule declaration makes in a region: one per relay of its vendor whose channel
 * carries its kind of events, on that relay's partner bus (keyed by event source name), named
 * `<id>-<instance>` (`<id>-<instance>-<channelId>` for an instance's second such relay), with the
 * pattern for that instance.
 */
export function relayRuleInstances(
  config: DeploymentConfig,
  region: string,
  rule: RelayRuleDeclaration,
): { readonly name: string; readonly instance: string; readonly eventSourceName: string; readonly eventPattern: Readonly<Record<string, unknown>> }[] {
  const instances = new Map(config.vendorInstances.map((v) => [v.id, v]));
  const relays = config.eventRelays.filter((r) => r.region === region && instances.get(r.instance)?.vendor === rule.vendor && relayedEvents(r) === rule.events);
  return relays.map((relay, i) => ({
    name: relays.slice(0, i).some((r) => r.instance === relay.instance) ? `${rule.id}-${relay.instance}-${channelIdOf(relay)}` : `${rule.id}-${relay.instance}`,
    instance: relay.instance,
    eventSourceName: relay.eventSourceName,
    eventPattern: typeof rule.eventPattern === 'function' ? rule.eventPattern(instances.get(relay.instance)!) : rule.eventPattern,
  }));
}

/** The instances of a vendor that play a role for a legal entity served by the region. */
export function servingInstances(config: DeploymentConfig, region: string, vendor: Vendor): string[] {
  const vendorOf = new Map(config.vendorInstances.map((v) => [v.id, v.vendor]));
  const ids = config.legalEntities.filter((e) => e.region === region).flatMap((e) => Object.values(e.instances).filter((i): i is string => i !== undefined));
  return [...new Set(ids)].filter((id) => vendorOf.get(id) === vendor).sort();
}

/** Each schedule a declaration makes in a region: its name and the message it sends. */
export function scheduleInstances(
  config: DeploymentConfig,
  region: string,
  schedule: ScheduleDeclaration,
): { name: string; message: Record<string, string> }[] {
  if (schedule.vendor === undefined) return [{ name: schedule.id, message: { reason: 'schedule' } }];
  const instances =
    (schedule.instances ?? 'relayed') === 'relayed' ? relayedInstances(config, region, schedule.vendor) : servingInstances(config, region, schedule.vendor);
  return instances.map((instance) => ({ name: `${schedule.id}-${instance}`, message: { instance, reason: 'schedule' } }));
}

/** A Standard state machine defined by an ASL file whose `${Placeholder}`s name functions. */
export interface StateMachineDeclaration {
  readonly id: string;
  /** ASL (JSONPath) file from the repository root. */
  readonly definitionFile: string;
  /** Placeholder → function id: `${ValidateOpportunityArn}` is substituted with that function's ARN. */
  readonly tasks: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** Everything one workflow adds to a regional stack. */
export interface WorkflowDeclaration {
  /** The workflow, or `ops` for the ops API's parts (its exceptions, queues and executions are the workflows'). */
  readonly workflow: Workflow | 'ops';
  readonly functions: readonly FunctionDeclaration[];
  readonly queues: readonly QueueDeclaration[];
  readonly routes: readonly RouteDeclaration[];
  readonly rules: readonly RuleDeclaration[];
  readonly relayRules?: readonly RelayRuleDeclaration[];
  readonly schedules?: readonly ScheduleDeclaration[];
  readonly stateMachines: readonly StateMachineDeclaration[];
}

/**
 * What a function may touch: its declared uses, the webhook base URL when a route calls it (it
 * checks the vendor's signature against the URL the vendor called), and the payload archive when it
 * appends to the audit trail (each entry's payload is archived under its hash). The one derivation the CDK stack,
 * the local stack and the functions' cold-start check all read.
 */
export function usesOf(workflow: WorkflowDeclaration, fn: FunctionDeclaration): readonly FunctionUse[] {
  const routed = workflow.routes.some((r) => r.function === fn.id && (r.api ?? 'webhooks') === 'webhooks');
  const uses: readonly FunctionUse[] = routed && !fn.uses.some((u) => u.kind === 'webhookUrl') ? [...fn.uses, { kind: 'webhookUrl' }] : fn.uses;
  // Every audit entry names its payload by hash, and the audit trail archives that payload (lambdas/wiring/tables.ts).
  const appends = fn.uses.some((u) => u.kind === 'table' && u.table === 'audit' && u.access === 'append');
  return appends && !uses.some((u) => u.kind === 'payloadArchive') ? [...uses, { kind: 'payloadArchive' }] : uses;
}

/** `crossReferences` → `CROSS_REFERENCES`. */
export function constantCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toUpperCase();
}

/** The environment variable through which a function learns where a used resource is. */
export function environmentVariableFor(use: FunctionUse): string | undefined {
  switch (use.kind) {
    case 'table':
      return `${constantCase(use.table)}_TABLE_NAME`;
    case 'queue':
      return `${constantCase(use.queue)}_QUEUE_URL`;
    case 'exceptionQueue':
      return 'EXCEPTION_QUEUE_URL';
    case 'eventBus':
      return 'EVENT_BUS_NAME';
    case 'stateMachine':
      return `${constantCase(use.stateMachine)}_STATE_MACHINE_ARN`;
    case 'vendorSecrets':
      return undefined;
    case 'workflowExecutions':
      return 'WORKFLOW_STATE_MACHINES';
    case 'webhookUrl':
      return 'WEBHOOK_PUBLIC_BASE_URL';
    case 'payloadArchive':
      return 'PAYLOAD_ARCHIVE_BUCKET_NAME';
    case 'deadLetterQueues':
      return 'DEAD_LETTER_QUEUES';
  }
}

/**
 * Checks a declaration for references to parts it does not declare, so a typo fails at synth and
 * in the local stack alike.
 */
export function assertConsistent(declaration: WorkflowDeclaration): void {
  const functions = new Set(declaration.functions.map((f) => f.id));
  const queues = new Set(declaration.queues.map((q) => q.id));
  const stateMachines = new Set(declaration.stateMachines.map((s) => s.id));
  const problems: string[] = [];
  for (const q of declaration.queues) if (!functions.has(q.consumer)) problems.push(`queue ${q.id} is consumed by unknown function ${q.consumer}`);
  for (const r of declaration.routes) if (!functions.has(r.function)) problems.push(`route ${r.method} ${r.path} calls unknown function ${r.function}`);
  for (const r of declaration.rules) if (!queues.has(r.targetQueue)) problems.push(`rule ${r.id} targets unknown queue ${r.targetQueue}`);
  for (const r of declaration.relayRules ?? []) if (!queues.has(r.targetQueue)) problems.push(`relay rule ${r.id} targets unknown queue ${r.targetQueue}`);
  for (const s of declaration.schedules ?? []) if (!queues.has(s.targetQueue)) problems.push(`schedule ${s.id} targets unknown queue ${s.targetQueue}`);
  for (const s of declaration.stateMachines) {
    for (const [placeholder, fn] of Object.entries(s.tasks))
      if (!functions.has(fn)) problems.push(`state machine ${s.id} maps ${placeholder} to unknown function ${fn}`);
  }
  for (const f of declaration.functions) {
    for (const use of f.uses) {
      if (use.kind === 'queue' && !queues.has(use.queue)) problems.push(`function ${f.id} sends to unknown queue ${use.queue}`);
      if (use.kind === 'stateMachine' && !stateMachines.has(use.stateMachine))
        problems.push(`function ${f.id} starts unknown state machine ${use.stateMachine}`);
    }
  }
  if (problems.length > 0) throw new Error(`Workflow ${declaration.workflow} is inconsistent:\n  - ${problems.join('\n  - ')}`);
}

/**
 * The vendor instances whose secrets a `vendorSecrets` use may read in a region: of the instances that
 * serve the region's legal entities or relay into it, those of the named vendors (an intake), or those
 * the legal entities use in the named roles (a step that writes to that system).
 */
export function secretInstancesOf(
  config: DeploymentConfig,
  region: string,
  use: Extract<FunctionUse, { kind: 'vendorSecrets' }>,
): DeploymentConfig['vendorInstances'] {
  const entities = config.legalEntities.filter((e) => e.region === region);
  const regional = new Set([
    ...entities.flatMap((e) => Object.values(e.instances).filter((i): i is string => i !== undefined)),
    ...config.eventRelays.filter((r) => r.region === region).map((r) => r.instance),
  ]);
  const called: Set<string | undefined> =
    'vendors' in use
      ? new Set(config.vendorInstances.filter((v) => regional.has(v.id) && use.vendors.includes(v.vendor)).map((v) => v.id))
      : new Set(entities.flatMap((e) => [...use.roles.map((role) => e.instances[role]), ...(use.parallelRun && e.parallelRun ? [e.parallelRun.erp] : [])]));
  return config.vendorInstances.filter((v) => called.has(v.id));
}
