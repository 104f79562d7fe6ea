import { StateMachine } from 'aws-local-stepfunctions';
import { type AwsJsonServer, AwsServiceError, startAwsJsonServer } from './aws-json-server';

/**
 * Step Functions stand-in: the ASL files run in aws-local-stepfunctions, reached through the
 * `StartExecution`, `DescribeExecution` and `ListExecutions` API, with the service's execution-name
 * rules: a Standard workflow started again with the same name and input while running returns the
 * same execution; with a closed execution or other input it is `ExecutionAlreadyExists`.
 */

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); on Node 20 every Task would fail
// with a misleading SyncFailed without it.
const promiseWithResolvers = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseWithResolvers.withResolvers !== 'function') {
  promiseWithResolvers.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** A JSON value, as states pass them. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = JsonValue;

/** A state machine as the stand-in runs it. */
export interface LocalStateMachineSpec {
  readonly name: string;
  /** The ASL definition after `${Placeholder}` substitution, exactly as deployed. */
  readonly definition: string;
  /** Runs the function a Task's `Resource` names; `undefined` means no local counterpart (an error). */
  readonly invokeResource: (resourceArn: string) => ((input: Json) => Promise<Json>) | undefined;
  /** Per-state retry pauses in ms, for test runs that cannot wait for real backoff. @default real intervals */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
}

/** A recorded execution. */
export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Task attempts retried by a Retry rule so far (what the execution history lists as retries). */
  retries: number;
  /** Times it was redriven; `redriveDate` the last. */
  redriveCount: number;
  redriveDate?: number;
  /** The top-level state it failed in, with that state's input: where a redrive resumes. */
  failedState?: { readonly name: string; readonly input: Json };
  /** Settles when the current attempt (the first run or a redrive) ends. */
  done: Promise<void>;
}

/** How long a failed execution stays redrivable, as in the service. */
const REDRIVABLE_SECONDS = 14 * 24 * 3600;

/** What Step Functions puts on the default bus when an execution's status changes ("Step Functions Execution Status Change"). */
export interface ExecutionStatusChangeDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly input: string;
  readonly inputDetails: { readonly included: true };
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly redriveCount: number;
}

interface TaskState {
  name: string;
  resource: string;
}

/** Every Task state, in nested Parallel branches and Map processors too, with its Resource. */
export function taskStates(definition: unknown): TaskState[] {
  const found: TaskState[] = [];
  const visit = (machine: unknown) => {
    const states = (machine as { States?: Record<string, Record<string, unknown>> }).States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found.push({ name, resource: String(state.Resource) });
      for (const branch of (state.Branches as unknown[] | undefined) ?? []) visit(branch);
      if (state.ItemProcessor) visit(state.ItemProcessor);
      if (state.Iterator) visit(state.Iterator);
    }
  };
  visit(definition);
  return found;
}

/** Starts the stand-in. */
export async function startStepFunctions(options: {
  readonly region: string;
  readonly stateMachines: readonly LocalStateMachineSpec[];
  readonly port?: number;
  /** Where status changes go (the local default bus); awaited before an attempt counts as done. */
  readonly onStatusChange?: (detail: ExecutionStatusChangeDetail) => Promise<void>;
  /** The clock in ms: the dates the service gives executions, and the 14-day redrive window. @default Date.now */
  readonly now?: () => number;
}): Promise<
  AwsJsonServer & {
    readonly executions: readonly LocalExecution[];
    arnOf(name: string): string;
    /**
     * Moves the service's clock on by `ms`, as that much time passing would: every date it gives from
     * then on (start, stop and redrive dates) and whether a failed execution is still within its redrive
     * window read it. The functions and the vendors keep their own clocks.
     */
    advanceClock(ms: number): void;
  }
> {
  const clock = options.now ?? (() => Date.now());
  let advancedMs = 0;
  const now = () => clock() + advancedMs;
  const arnOf = (name: string) => `arn:aws:states:${options.region}:000000000000:stateMachine:${name}`;
  const machines = new Map(
    options.stateMachines.map((spec) => {
      const definition = JSON.parse(spec.definition) as unknown;
      const handlers: Record<string, (input: Json) => Promise<Json>> = {};
      for (const task of taskStates(definition)) {
        const invoke = spec.invokeResource(task.resource);
        if (invoke === undefined) throw new Error(`State ${task.name} of ${spec.name} calls ${task.resource}, which has no local counterpart`);
        handlers[task.name] = invoke;
      }
      return [
        arnOf(spec.name),
        { spec, definition, machine: new StateMachine(definition as never, { validationOptions: { checkArn: false } }), handlers },
      ] as const;
    }),
  );
  const executions: LocalExecution[] = [];

  /** Runs an attempt: from the start, or (a redrive) from the state it failed in, with that state's input. */
  const runAttempt = (execution: LocalExecution, from?: { readonly name: string; readonly input: Json }) => {
    const found = machines.get(execution.stateMachineArn)!;
    const topLevel = new Set(Object.keys((found.definition as { States: Record<string, unknown> }).States));
    const machine = from
      ? // Validated as deployed already; started at the failed state, the states before it are unreachable.
        new StateMachine({ ...(found.definition as object), StartAt: from.name } as never, { validationOptions: { noValidate: true } })
      : found.machine;
    let finish!: () => void;
    execution.done = new Promise((r) => (finish = r));
    const run = machine.run(from ? from.input : (JSON.parse(execution.input) as Json), {
      overrides: { taskResourceLocalHandlers: found.handlers, retryIntervalOverrides: { ...found.spec.retryIntervalOverrides } },
      context: {
        Execution: {
          Id: execution.executionArn,
          Name: execution.name,
          Input: JSON.parse(execution.input),
          StartTime: new Date(execution.startDate * 1000).toISOString(),
        },
        StateMachine: { Id: execution.stateMachineArn, Name: found.spec.name },
      } as never,
    });
    let entered: { name: string; input: Json } | undefined;
    const logged = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateRetried') execution.retries += 1;
        // The last top-level state entered is where a failure stopped the execution (Map iterations carry an index).
        if (event.type === 'StateEntered' && event.index === undefined && topLevel.has(event.state.name))
          entered = { name: event.state.name, input: event.state.input as Json };
      }
    })().catch(() => undefined);
    const announce = async () => {
      await options.onStatusChange?.({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate * 1000,
        stopDate: execution.stopDate === undefined ? null : execution.stopDate * 1000,
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output ?? null,
        error: execution.error ?? null,
        cause: execution.cause ?? null,
        redriveCount: execution.redriveCount,
      });
    };
    run.result.then(
      async (output) => {
        Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output), stopDate: now() / 1000, error: undefined, cause: undefined });
        await announce().catch(() => undefined);
        finish();
      },
      async (error: unknown) => {
        // The event log ends with the execution; bounded all the same, so a stuck log cannot hold the failure.
        await Promise.race([logged, new Promise((r) => setTimeout(r, 200))]);
        const failure = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
        Object.assign(execution, {
          status: 'FAILED',
          error: failure.cause?.name ?? failure.name ?? 'States.Runtime',
          cause: failure.cause?.message ?? failure.message ?? '',
          stopDate: now() / 1000,
          ...(entered ? { failedState: entered } : {}),
        });
        await announce().catch(() => undefined);
        finish();
      },
    );
  };

  const start = (stateMachineArn: string, name: string, input: string): LocalExecution => {
    const found = machines.get(stateMachineArn);
    if (found === undefined) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: now() / 1000,
      retries: 0,
      redriveCount: 0,
      done: Promise.resolve(),
    };
    executions.push(execution);
    runAttempt(execution);
    return execution;
  };

  /** Why an execution cannot be redriven now, in the service's words; undefined when it can. */
  const notRedrivable = (e: LocalExecution): string | undefined => {
    if (e.status === 'RUNNING') return 'Execution is RUNNING and cannot be redriven';
    if (e.status === 'SUCCEEDED') return 'Execution is SUCCEEDED and cannot be redriven';
    if (e.stopDate !== undefined && now() / 1000 - e.stopDate > REDRIVABLE_SECONDS) return 'Execution redrivable period exceeded';
    return undefined;
  };

  const describe = (e: LocalExecution) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate }),
    input: e.input,
    ...(e.output === undefined ? {} : { output: e.output }),
    ...(e.error === undefined ? {} : { error: e.error, cause: e.cause }),
    redriveCount: e.redriveCount,
    ...(e.redriveDate === undefined ? {} : { redriveDate: e.redriveDate }),
    redriveStatus: notRedrivable(e) === undefined ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    ...(notRedrivable(e) === undefined ? {} : { redriveStatusReason: notRedrivable(e) }),
  });

  const server = await startAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    port: options.port,
    operations: {
      StartExecution: ({ stateMachineArn, name, input }) => {
        const executionName = typeof name === 'string' && name !== '' ? name : crypto.randomUUID();
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(executionName)) throw new AwsServiceError('InvalidName', `Invalid Name: '${executionName}'`);
        const executionInput = typeof input === 'string' ? input : '{}';
        const existing = executions.find((e) => e.stateMachineArn === stateMachineArn && e.name === executionName);
        if (existing !== undefined) {
          if (existing.status === 'RUNNING' && existing.input === executionInput) return { executionArn: existing.executionArn, startDate: existing.startDate };
          throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
        }
        const execution = start(String(stateMachineArn), executionName, executionInput);
        return { executionArn: execution.executionArn, startDate: execution.startDate };
      },
      // Resumes a failed execution from the state it failed in, with that state's input, under the same
      // ARN and name; the states that succeeded are not run again.
      RedriveExecution: ({ executionArn }) => {
        const execution = executions.find((e) => e.executionArn === executionArn);
        if (execution === undefined) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(executionArn)}'`);
        const reason = notRedrivable(execution);
        if (reason !== undefined) throw new AwsServiceError('ExecutionNotRedrivable', `Execution cannot be redriven: ${reason}.`);
        const from = execution.failedState ?? {
          name: String((machines.get(execution.stateMachineArn)!.definition as { StartAt: string }).StartAt),
          input: JSON.parse(execution.input) as Json,
        };
        runAttempt(execution, from);
        Object.assign(execution, { status: 'RUNNING', redriveCount: execution.redriveCount + 1, redriveDate: now() / 1000, stopDate: undefined });
        return { redriveDate: execution.redriveDate };
      },
      DescribeExecution: ({ executionArn }) => {
        const execution = executions.find((e) => e.executionArn === executionArn);
        if (execution === undefined) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(executionArn)}'`);
        return describe(execution);
      },
      // Newest first, as the service lists them, `maxResults` a page (default 100, up to 1,000) with a nextToken.
      ListExecutions: ({ stateMachineArn, statusFilter, maxResults, nextToken }) => {
        const matching = executions.filter((e) => e.stateMachineArn === stateMachineArn && (statusFilter === undefined || e.status === statusFilter)).reverse();
        if (maxResults !== undefined && (Number(maxResults) < 0 || Number(maxResults) > 1000))
          throw new AwsServiceError(
            'ValidationException',
            `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
          );
        const size = Number(maxResults ?? 0) || 100;
        const from = nextToken === undefined ? 0 : Number(Buffer.from(String(nextToken), 'base64').toString('utf8'));
        const page = matching.slice(from, from + size);
        return {
          executions: page.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
          })),
          ...(from + size < matching.length ? { nextToken: Buffer.from(String(from + size)).toString('base64') } : {}),
        };
      },
    },
  });
  const advanceClock = (ms: number) => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`The clock moves forward only, not by ${ms} ms`);
    advancedMs += ms;
  };
  return { ...server, executions, arnOf, advanceClock };
}
