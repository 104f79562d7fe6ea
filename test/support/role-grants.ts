import type { Template } from 'aws-cdk-lib/assertions';
import type { SyncRegionStack } from '../../lib/sync-region-stack';
import type { SharedTable } from '../../lib/topology/declarations';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** What one function's role may do with secrets, tables and the payload archive, read from a synthesized template. */
export interface FunctionGrants {
  /** Secret names (without the random suffix) it may read. */
  readonly secrets: string[];
  /** DynamoDB actions per shared table, sorted. */
  readonly tables: Partial<Record<SharedTable, string[]>>;
  /** The actions allowed on a table's indexes (`<table arn>/index/*`). */
  readonly indexes: Partial<Record<SharedTable, string[]>>;
  /** S3 actions on the payload archive's objects (`<bucket arn>/payloads/*`), sorted. */
  readonly archive: string[];
  /** Any other DynamoDB, Secrets Manager or S3 grant, which no function should have: `action on resource`. */
  readonly unexpected: string[];
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every function's grants, by declaration id, in one region's template. */
export function functionGrants(stack: SyncRegionStack, template: Template): Record<string, FunctionGrants> {
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const tableIds = new Map<string, SharedTable>(
    (
      [
        ['crossReferences', stack.crossReferences.table],
        ['idempotency', stack.idempotency.table],
        ['exceptions', stack.exceptions.table],
        ['audit', stack.auditTrail.table],
        ['billingLedger', stack.billingLedger.table],
      ] as const
    ).map(([name, table]) => [stack.getLogicalId(table.node.defaultChild as never), name]),
  );
  const archiveBucketId = stack.getLogicalId(stack.payloadArchive.bucket.node.defaultChild as never);
  const grants: Record<string, FunctionGrants> = {};
  for (const wf of stack.workflows.values()) {
    for (const [id, fn] of wf.functions) {
      const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && asList(r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
      const secrets = new Set<string>();
      const tables: Partial<Record<SharedTable, Set<string>>> = {};
      const indexes: Partial<Record<SharedTable, Set<string>>> = {};
      const archive = new Set<string>();
      const unexpected: string[] = [];
      for (const statement of statements) {
        const actions = asList(statement.Action as string | string[]).filter((a) => /^(dynamodb|secretsmanager|s3):/.test(a));
        if (actions.length === 0) continue;
        for (const resource of asList(statement.Resource)) {
          const text = JSON.stringify(resource);
          // A table's indexes: `Fn::Join ['', [<table>.Arn, '/index/*']]`.
          const joined = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1];
          const indexOf =
            joined?.length === 2 && joined[1] === '/index/*'
              ? tableIds.get((joined[0] as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '')
              : undefined;
          if (indexOf !== undefined) {
            for (const action of actions) (indexes[indexOf] ??= new Set()).add(action);
            continue;
          }
          // The archive's objects: `Fn::Join ['', [<bucket>.Arn, '/payloads/*']]`.
          const archived =
            joined?.length === 2 && joined[1] === '/payloads/*' && (joined[0] as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] === archiveBucketId;
          if (archived && actions.every((a) => a.startsWith('s3:'))) {
            for (const action of actions) archive.add(action);
            continue;
          }
          const table = tableIds.get((resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '');
          const secret = /:secret:([^"]+)-\?{6}"/.exec(text)?.[1];
          for (const action of actions) {
            if (table !== undefined && action.startsWith('dynamodb:')) (tables[table] ??= new Set()).add(action);
            else if (secret !== undefined && action === 'secretsmanager:GetSecretValue') secrets.add(secret);
            else unexpected.push(`${action} on ${text}`);
          }
        }
      }
      grants[id] = {
        secrets: [...secrets].sort(),
        tables: Object.fromEntries(Object.entries(tables).map(([t, a]) => [t, [...a].sort()])),
        indexes: Object.fromEntries(Object.entries(indexes).map(([t, a]) => [t, [...a].sort()])),
        archive: [...archive].sort(),
        unexpected,
      };
    }
  }
  return grants;
}

/** What one function's role may do with the region's SQS queues, read from a synthesized template. */
export interface QueueGrants {
  /**
   * SQS actions per queue, sorted: a work queue by its id (`HubspotDealEvents`), its DLQ as
   * `<id>/dlq`, a rule's or schedule's target-failure queue as `<name>/target-failures`, and
   * `exception-announcements`.
   */
  readonly queues: Record<string, string[]>;
  /** An SQS grant on anything else: `action on resource`. */
  readonly unexpected: string[];
}

/** Every function's SQS grants, by declaration id, in one region's template. */
export function queueGrants(stack: SyncRegionStack, template: Template): Record<string, QueueGrants> {
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  const labels = new Map<string, string>([[logicalId(stack.exceptions.queue), 'exception-announcements']]);
  for (const wf of stack.workflows.values()) {
    for (const [id, q] of wf.queues) labels.set(logicalId(q.queue), id).set(logicalId(q.deadLetterQueue), `${id}/dlq`);
    for (const [name, q] of wf.targetFailures) labels.set(logicalId(q.queue), `${name}/target-failures`);
  }
  const grants: Record<string, QueueGrants> = {};
  for (const wf of stack.workflows.values()) {
    for (const [id, fn] of wf.functions) {
      const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && asList(r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
      const queues: Record<string, Set<string>> = {};
      const unexpected: string[] = [];
      for (const statement of statements) {
        const actions = asList(statement.Action as string | string[]).filter((a) => a.startsWith('sqs:'));
        for (const resource of actions.length > 0 ? asList(statement.Resource) : []) {
          const label = labels.get((resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '');
          for (const action of actions) {
            if (label === undefined) unexpected.push(`${action} on ${JSON.stringify(resource)}`);
            else (queues[label] ??= new Set()).add(action);
          }
        }
      }
      grants[id] = { queues: Object.fromEntries(Object.entries(queues).map(([q, a]) => [q, [...a].sort()])), unexpected };
    }
  }
  return grants;
}
