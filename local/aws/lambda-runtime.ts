import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

/**
 * Runs a bundled Lambda function locally the way Lambda does: each instance is an isolated worker
 * thread with the function's own environment, module scope survives between invocations (so clients
 * created at module scope are reused, as in a warm container), one invocation runs per instance at a
 * time, and more instances start, up to a limit, when all are busy. Errors come back with Lambda's
 * `errorType` (the thrown error's `name`), which is what Step Functions matches in Retry and Catch.
 */

/** A function as the local runtime needs it: the same bundle and environment the deployed function has. */
export interface LocalFunctionSpec {
  readonly name: string;
  /** The CommonJS bundle esbuild produced for the function. */
  readonly code: string;
  /** @default 'handler' */
  readonly handlerExport?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** @default 4 */
  readonly maxInstances?: number;
  /**
   * Receives each line the function writes to stdout or stderr, as CloudWatch Logs would; without it the
   * lines go to this process's stdout and stderr.
   */
  readonly onLogLine?: (line: string) => void;
}

/** An error a handler threw, carrying Lambda's errorType. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    // Step Functions (and aws-local-stepfunctions) match Retry and Catch on the error's name.
    this.name = errorType;
  }
}

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const module_ = { exports: {} };
new Function('module', 'exports', 'require', '__filename', '__dirname', workerData.code)(module_, module_.exports, require, workerData.name + '.js', process.cwd());
const handler = module_.exports[workerData.handlerExport];
parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  const context = {
    functionName: workerData.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:' + workerData.name,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/' + workerData.name,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (typeof handler !== 'function') throw new Error('Handler ' + workerData.handlerExport + ' is not exported');
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, errorType: (error && error.name) || 'Error', errorMessage: String((error && error.message) || error) });
  }
});
`;

interface Instance {
  worker: Worker;
  busy: boolean;
}

/** A locally running function. */
export interface LocalFunction {
  readonly name: string;
  /** Invokes the function synchronously (RequestResponse), as API Gateway, SQS and Step Functions do. */
  invoke(event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts a function; instances are created on demand. */
export function startLocalFunction(spec: LocalFunctionSpec): LocalFunction {
  const instances: Instance[] = [];
  const waiting: ((instance: Instance) => void)[] = [];
  const maxInstances = spec.maxInstances ?? 4;
  let nextId = 0;
  let requestCounter = 0;

  const spawn = (): Instance => {
    const capture = spec.onLogLine;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: { ...spec.environment, AWS_LAMBDA_FUNCTION_NAME: spec.name },
      workerData: { code: spec.code, name: spec.name, handlerExport: spec.handlerExport ?? 'handler' },
      ...(capture ? { stdout: true, stderr: true } : {}),
    });
    if (capture)
      for (const stream of [worker.stdout, worker.stderr]) createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', capture);
    worker.unref();
    const instance = { worker, busy: false };
    instances.push(instance);
    return instance;
  };

  // Marks the instance busy before returning, so concurrent callers never share one.
  const acquire = (): Promise<Instance> => {
    const instance = instances.find((i) => !i.busy) ?? (instances.length < maxInstances ? spawn() : undefined);
    if (instance === undefined) return new Promise((resolve) => waiting.push(resolve));
    instance.busy = true;
    return Promise.resolve(instance);
  };

  const release = (instance: Instance): void => {
    const next = waiting.shift();
    if (next) next(instance);
    else instance.busy = false;
  };

  const retire = (instance: Instance): void => {
    instances.splice(instances.indexOf(instance), 1);
    void instance.worker.terminate();
    const next = waiting.shift();
    if (next) {
      const fresh = spawn();
      fresh.busy = true;
      next(fresh);
    }
  };

  return {
    name: spec.name,
    async invoke(event) {
      const instance = await acquire();
      const id = nextId++;
      requestCounter += 1;
      const requestId = `local-${spec.name}-${requestCounter}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          instance.worker.off('message', onMessage);
          // A timed-out sandbox is discarded, as Lambda does, so no half-finished state leaks into the next call.
          retire(instance);
          reject(new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${spec.timeoutMs} ms`));
        }, spec.timeoutMs);
        const onMessage = (message: { id: number; ok: boolean; result?: unknown; errorType?: string; errorMessage?: string }) => {
          if (message.id !== id) return;
          clearTimeout(timer);
          instance.worker.off('message', onMessage);
          release(instance);
          if (message.ok) resolve(message.result);
          else reject(new LambdaInvocationError(message.errorType ?? 'Error', message.errorMessage ?? ''));
        };
        instance.worker.on('message', onMessage);
        instance.worker.postMessage({ id, event, requestId, deadline: Date.now() + spec.timeoutMs });
      });
    },
    async close() {
      await Promise.all(instances.splice(0).map((i) => i.worker.terminate()));
    },
  };
}
