import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { declarationOf } from '../../lambdas/wiring/function-environment';
import { environmentVariableFor } from '../../lib/topology/declarations';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { exampleConfigInput } from '../support/example-config';

const root = path.resolve(__dirname, '../..');
const functions = WORKFLOWS.flatMap((w) => w.functions);

/** Exactly the environment the stack gives a function: the base variables and one per use it declares (or its route implies). */
function declaredEnvironment(functionId: string): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    IDEMPOTENCY_TTL_SECONDS: '604800',
    WEBHOOK_MAX_BODY_BYTES: '1048576',
    DEPLOYMENT_CONFIG_JSON: JSON.stringify(exampleConfigInput()),
  };
  for (const use of declarationOf(functionId).declaration.uses) {
    const name = environmentVariableFor(use);
    if (name)
      env[name] =
        use.kind === 'workflowExecutions'
          ? JSON.stringify(Object.fromEntries(use.stateMachines.map((id) => [id, `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`])))
          : `https://example.invalid/${name}`;
  }
  return env;
}

/** Loads a handler module afresh, as a cold start does, with only the given environment. */
async function coldStart(entry: string, env: Record<string, string>): Promise<unknown> {
  vi.resetModules();
  for (const name of Object.keys(process.env))
    if (/_(TABLE_NAME|QUEUE_URL|STATE_MACHINE_ARN)$|^EVENT_BUS_NAME$|^WEBHOOK_PUBLIC_BASE_URL$|^EXCEPTION_QUEUE_URL$/.test(name)) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const module = (await import(path.join(root, entry))) as { handler?: unknown };
  return module.handler;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a cold start', () => {
  it.each(functions.map((f) => [f.id, f.entry] as const))('loads %s with exactly the environment its declaration gives it', async (id, entry) => {
    await expect(coldStart(entry, declaredEnvironment(id))).resolves.toBeTypeOf('function');
  });

  it.each(functions.filter((f) => f.uses.some((u) => environmentVariableFor(u) !== undefined)).map((f) => [f.id, f.entry] as const))(
    'refuses to load %s without a variable one of its uses implies, naming it',
    async (id, entry) => {
      const env = declaredEnvironment(id);
      const missing = environmentVariableFor(declarationOf(id).declaration.uses.find((u) => environmentVariableFor(u) !== undefined)!)!;
      delete env[missing];

      await expect(coldStart(entry, env)).rejects.toThrow(new RegExp(`Environment variable ${missing} is not set.*\\(${id} in lib/topology/`));
    },
  );
});
