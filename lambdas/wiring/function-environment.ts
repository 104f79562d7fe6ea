import { environmentVariableFor, type FunctionDeclaration, type FunctionUse, type SharedTable, usesOf } from '../../lib/topology/declarations';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { SyncError } from '../common/errors';

/**
 * A function's environment as its declaration in `lib/topology/` implies it. Each use a function
 * declares is both an IAM grant and an environment variable; this reads those variables once, at cold
 * start, and refuses to start when one is missing, naming the variable and the topology entry, so a
 * deployment that forgot a use fails on its first invocation with a sentence, never later with a
 * fallback such as a table named 'unused'. Asking for a resource the function did not declare is the
 * same error: the code and the declaration must agree.
 */
export interface FunctionEnvironment {
  readonly functionId: string;
  readonly region: string;
  /** How long Powertools idempotency records live (the region's `idempotencyTtlSeconds`). */
  readonly idempotencyTtlSeconds: number;
  /** The largest webhook body the handlers accept (the region's `webhooks.maxBodyBytes`). */
  readonly maxWebhookBodyBytes: number;
  tableName(table: SharedTable): string;
  queueUrl(queue: string): string;
  exceptionQueueUrl(): string;
  eventBusName(): string;
  stateMachineArn(stateMachine: string): string;
  webhookPublicBaseUrl(): string;
  /** The payload archive's bucket (declared, or implied by appending to the audit trail). */
  payloadArchiveBucketName(): string;
  /** The ARNs of other workflows' state machines, by id (a `workflowExecutions` use). */
  workflowStateMachines(): Readonly<Record<string, string>>;
  /** The URL of each work queue's DLQ, by the work queue's declaration id (a `deadLetterQueues` use). */
  deadLetterQueueUrls(): Readonly<Record<string, string>>;
  /** Whether the function declares a use of this kind (and table, for tables). */
  declares(kind: FunctionUse['kind'], table?: SharedTable): boolean;
}

/** A function's environment does not match its declaration. */
export class FunctionEnvironmentError extends SyncError {
  override readonly name = 'FunctionEnvironmentError';
}

/** Where a function is declared: its workflow's declaration file and the declaration itself. */
export function declarationOf(functionId: string): { readonly file: string; readonly declaration: FunctionDeclaration; readonly consumesQueue: boolean } {
  for (const workflow of WORKFLOWS) {
    const declared = workflow.functions.find((f) => f.id === functionId);
    if (declared === undefined) continue;
    const declaration = { ...declared, uses: usesOf(workflow, declared) };
    return { file: `lib/topology/${workflow.workflow}.ts`, declaration, consumesQueue: workflow.queues.some((q) => q.consumer === functionId) };
  }
  throw new FunctionEnvironmentError(`No function ${functionId} is declared in lib/topology/`);
}

/** Variables every function gets from `baseEnvironment` (lib/topology/bundling.ts) or from Lambda itself. */
const BASE_VARIABLES = ['AWS_REGION', 'IDEMPOTENCY_TTL_SECONDS', 'WEBHOOK_MAX_BODY_BYTES'] as const;

function describe(use: FunctionUse): string {
  switch (use.kind) {
    case 'table':
      return `{ kind: 'table', table: '${use.table}' }`;
    case 'queue':
      return `{ kind: 'queue', queue: '${use.queue}' }`;
    case 'stateMachine':
      return `{ kind: 'stateMachine', stateMachine: '${use.stateMachine}' }`;
    default:
      return `{ kind: '${use.kind}' }`;
  }
}

/** Reads and checks a function's environment against its declared uses; throws on the first gap. */
export function functionEnvironment(functionId: string, env: Readonly<Record<string, string | undefined>> = process.env): FunctionEnvironment {
  const { file, declaration } = declarationOf(functionId);
  const where = `${functionId} in ${file}`;
  const value = (name: string, because: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new FunctionEnvironmentError(`Environment variable ${name} is not set, though ${because} (${where})`);
    return v;
  };
  for (const name of BASE_VARIABLES) value(name, 'every function gets it');
  for (const use of declaration.uses) {
    const name = environmentVariableFor(use);
    if (name !== undefined) value(name, `the function declares the use ${describe(use)}`);
  }
  const declared = (use: FunctionUse, what: string): string => {
    const found = declaration.uses.find((u) => describe(u) === describe(use));
    if (found === undefined) throw new FunctionEnvironmentError(`${functionId} uses ${what} but does not declare ${describe(use)} in ${file}`);
    return value(environmentVariableFor(found)!, `the function declares the use ${describe(use)}`);
  };
  return {
    functionId,
    region: value('AWS_REGION', 'every function gets it'),
    idempotencyTtlSeconds: Number(value('IDEMPOTENCY_TTL_SECONDS', 'every function gets it')),
    maxWebhookBodyBytes: Number(value('WEBHOOK_MAX_BODY_BYTES', 'every function gets it')),
    tableName: (table) => declared({ kind: 'table', table, access: 'read' }, `the ${table} table`),
    queueUrl: (queue) => declared({ kind: 'queue', queue, access: 'send' }, `the ${queue} queue`),
    exceptionQueueUrl: () => declared({ kind: 'exceptionQueue' }, 'the exception announcement queue'),
    eventBusName: () => declared({ kind: 'eventBus' }, 'the canonical event bus'),
    stateMachineArn: (stateMachine) => declared({ kind: 'stateMachine', stateMachine }, `the ${stateMachine} state machine`),
    webhookPublicBaseUrl: () => declared({ kind: 'webhookUrl' }, 'the webhook base URL'),
    payloadArchiveBucketName: () => declared({ kind: 'payloadArchive' }, 'the payload archive'),
    workflowStateMachines: () => {
      const use = declaration.uses.find((u) => u.kind === 'workflowExecutions');
      if (use === undefined)
        throw new FunctionEnvironmentError(`${functionId} reads workflow executions but does not declare { kind: 'workflowExecutions' } in ${file}`);
      return JSON.parse(value(environmentVariableFor(use)!, "the function declares the use { kind: 'workflowExecutions' }")) as Record<string, string>;
    },
    deadLetterQueueUrls: () => {
      // As lib/dead-letter-queue-access.ts writes it: the URL prefix once, then each DLQ's name.
      const raw = declared({ kind: 'deadLetterQueues' }, 'the DLQs');
      let directory: { urlPrefix?: unknown; deadLetterQueues?: unknown };
      try {
        directory = JSON.parse(raw) as typeof directory;
      } catch {
        throw new FunctionEnvironmentError(`Environment variable ${environmentVariableFor({ kind: 'deadLetterQueues' })} is not JSON (${where})`);
      }
      const names = (directory.deadLetterQueues ?? {}) as Record<string, string>;
      return Object.fromEntries(Object.entries(names).map(([id, name]) => [id, `${String(directory.urlPrefix)}${name}`]));
    },
    declares: (kind, table) => declaration.uses.some((u) => u.kind === kind && (table === undefined || (u.kind === 'table' && u.table === table))),
  };
}
