import { App, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { DeploymentConfig } from '../../canonical/deployment-config';
import { addSyncStacks, cdkJsonContext } from '../../lib/sync-app';
import type { SyncRegionStack } from '../../lib/sync-region-stack';
import type { SharedTable, WorkflowDeclaration } from '../../lib/topology/declarations';

/**
 * The synthesized CloudFormation template of one region, read the way the local stack needs it:
 * each function's environment and each role's policies, with references resolved to the local
 * resources that stand in for the deployed ones. What the template does not give a function, the
 * local function does not get either.
 */

/** A CloudFormation resource as the template holds it. */
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** An IAM policy document with every reference resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** A role as the local IAM gate evaluates it: its name and its identity policies. */
export interface LocalRole {
  readonly roleName: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

/** What a resource of the template is locally: its `Ref` value and its attributes (`Arn`, ...). */
export interface LocalResource {
  readonly ref: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The constructs the local stack stands in for, by what it calls them. */
export interface StandIns {
  readonly tables: Readonly<Record<SharedTable, LocalResource>>;
  /** Queues by local name: work queues, their DLQs, target-failure queues, `exception-announcements`. */
  readonly queues: ReadonlyMap<string, LocalResource>;
  /** Event buses: `canonical` and each relay's partner bus, by its partner event source's name. */
  readonly eventBus: LocalResource;
  readonly partnerBuses: ReadonlyMap<string, LocalResource>;
  readonly stateMachines: ReadonlyMap<string, LocalResource>;
  readonly functions: ReadonlyMap<string, LocalResource>;
  /** The webhook API: its `Ref` is the API id in the public URL the template builds. */
  readonly webhookApi: LocalResource;
  /** The payload archive's bucket: its `Ref` is the bucket name, its `Arn` the bucket's ARN. */
  readonly payloadArchive: LocalResource;
}

/** One region's template, read for the local stack. */
export interface RegionTemplate {
  /** A function's environment variables, as CloudFormation would set them. */
  environmentOf(functionId: string): Record<string, string>;
  /** The role a function runs as. */
  functionRole(functionId: string): LocalRole;
  /** The role a state machine runs as (its task invocations are checked against it). */
  stateMachineRole(stateMachineId: string): LocalRole;
}

/**
 * Synthesizes the deployment the way `cdk synth` does (cdk.json's context, cdk-nag applied) but
 * without bundling assets, which the local stack builds itself with the same settings.
 */
export function synthesizeRegion(
  config: DeploymentConfig,
  region: string,
  workflows: readonly WorkflowDeclaration[],
): { stack: SyncRegionStack; template: unknown } {
  const app = new App({ context: cdkJsonContext(), postCliContext: { 'aws:cdk:bundling-stacks': [] } });
  const stack = addSyncStacks(app, config, workflows).find((s) => s.region === region);
  if (stack === undefined) throw new Error(`The configuration has no region ${region}`);
  return { stack, template: app.synth().getStackByName(stack.stackName).template };
}

/**
 * Reads a synthesized region for the local stack. `standIns` says what each construct of the stack
 * is locally; references to anything else (log groups, the KMS key) resolve to ARNs no local call
 * ever names, and an environment variable that needs one is an error.
 */
export function readRegionTemplate(
  { stack, template }: { stack: SyncRegionStack; template: unknown },
  standIns: (region: string, account: string) => StandIns,
): RegionTemplate {
  const resources = (template as { Resources: Record<string, Resource> }).Resources;
  const region = stack.region;
  const account = '000000000000';
  const local = standIns(region, account);
  const logicalId = (construct: IConstruct): string => stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

  const physical = new Map<string, LocalResource>();
  const tables: Record<SharedTable, IConstruct> = {
    crossReferences: stack.crossReferences.table,
    idempotency: stack.idempotency.table,
    exceptions: stack.exceptions.table,
    audit: stack.auditTrail.table,
    billingLedger: stack.billingLedger.table,
  };
  for (const [name, table] of Object.entries(tables)) physical.set(logicalId(table), local.tables[name as SharedTable]);
  const queueOf = (name: string): LocalResource => {
    const q = local.queues.get(name);
    if (q === undefined) throw new Error(`The template has queue ${name}, which the local stack does not run`);
    return q;
  };
  physical.set(logicalId(stack.exceptions.queue), queueOf('exception-announcements'));
  physical.set(logicalId(stack.eventBus.bus), local.eventBus);
  physical.set(logicalId(stack.webhookApi.api), local.webhookApi);
  physical.set(logicalId(stack.payloadArchive.bucket), local.payloadArchive);
  for (const [source, bus] of stack.eventRelays.partnerBuses) {
    const localBus = local.partnerBuses.get(source);
    if (localBus !== undefined) physical.set(logicalId(bus), localBus);
  }
  const functionIds = new Map<string, string>();
  const stateMachineIds = new Map<string, string>();
  for (const wf of stack.workflows.values()) {
    for (const [id, q] of wf.queues) {
      physical.set(logicalId(q.queue), queueOf(id));
      physical.set(logicalId(q.deadLetterQueue), queueOf(`${id}-dlq`));
    }
    for (const [name, q] of wf.targetFailures) physical.set(logicalId(q.queue), queueOf(`${name}-target-failures`));
    for (const [id, machine] of wf.stateMachines) {
      const sm = local.stateMachines.get(id);
      if (sm === undefined) throw new Error(`The template has state machine ${id}, which the local stack does not run`);
      physical.set(logicalId(machine), sm);
      stateMachineIds.set(id, logicalId(machine));
    }
    for (const [id, fn] of wf.functions) {
      const f = local.functions.get(id);
      if (f === undefined) throw new Error(`The template has function ${id}, which the local stack does not run`);
      physical.set(logicalId(fn), f);
      functionIds.set(id, logicalId(fn));
    }
  }

  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stack.stackName,
    'AWS::NoValue': '',
  };
  /** Resolves intrinsic functions; `strict` refuses references to resources with no local stand-in. */
  const resolve = (value: unknown, strict: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, strict));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      const unresolved = (id: string, attribute?: string) => {
        if (strict) throw new Error(`${id}${attribute ? `.${attribute}` : ''} has no local stand-in`);
        return `arn:aws:local:${region}:${account}:unresolved/${id}${attribute ? `/${attribute}` : ''}`;
      };
      switch (fn) {
        case 'Ref': {
          const id = String(arg);
          if (id in pseudo) return pseudo[id];
          return physical.get(id)?.ref ?? unresolved(id);
        }
        case 'Fn::GetAtt': {
          const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
          return physical.get(id)?.attributes?.[attribute] ?? unresolved(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts, strict) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (resolve(list, strict) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(resolve(source, strict)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in variables) return String(resolve(variables[name], strict));
            const [id, attribute] = name.split('.') as [string, string | undefined];
            return String(resolve(attribute === undefined ? { Ref: id } : { 'Fn::GetAtt': [id, attribute] }, strict));
          });
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, strict)]));
  };

  const resourceOf = (id: string, type: string): Resource => {
    const r = resources[id];
    if (r?.Type !== type) throw new Error(`The template has no ${type} ${id}`);
    return r;
  };
  const roleOf = (roleArn: unknown): LocalRole => {
    const roleId = (roleArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    if (roleId === undefined) throw new Error(`A role given as ${JSON.stringify(roleArn)} is not one of the template's`);
    const role = resourceOf(roleId, 'AWS::IAM::Role');
    const inline = ((role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
      name: p.PolicyName,
      document: resolve(p.PolicyDocument, false) as PolicyDocument,
    }));
    const attached = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && ((r.Properties?.Roles ?? []) as { Ref?: string }[]).some((ref) => ref.Ref === roleId))
      .map(([id, r]) => ({ name: String(r.Properties?.PolicyName ?? id), document: resolve(r.Properties?.PolicyDocument, false) as PolicyDocument }));
    if ((role.Properties?.ManagedPolicyArns as unknown[] | undefined)?.length)
      throw new Error(`Role ${roleId} has managed policies, which the local IAM gate cannot read`);
    return { roleName: roleId, policies: [...inline, ...attached] };
  };
  const functionResource = (functionId: string): Resource => {
    const id = functionIds.get(functionId);
    if (id === undefined) throw new Error(`The template has no function ${functionId}`);
    return resourceOf(id, 'AWS::Lambda::Function');
  };

  return {
    environmentOf(functionId) {
      const variables = (functionResource(functionId).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(resolve(value, true))]));
    },
    functionRole(functionId) {
      return roleOf(functionResource(functionId).Properties?.Role);
    },
    stateMachineRole(stateMachineId) {
      const id = stateMachineIds.get(stateMachineId);
      if (id === undefined) throw new Error(`The template has no state machine ${stateMachineId}`);
      return roleOf(resourceOf(id, 'AWS::StepFunctions::StateMachine').Properties?.RoleArn);
    },
  };
}
