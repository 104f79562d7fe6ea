import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../../lambdas/ops/exception-inbox';
import { type ExecutionControl, type ExecutionState, retryExecution } from '../../../lambdas/ops/execution-retry';

// Retrying an exception's execution: redriven within its window, else started again under
// `<name>-ops<attempt>`; never a second run while one is under way.
const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:OpportunityToProject';
const machines = { OpportunityToProject: machine };
const arnOf = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:OpportunityToProject:${name}`;
const original = 'hubspot-main-18274650231-r1';

/** Step Functions as far as a retry sees it: executions by name, and the calls made. */
function control(executions: Record<string, ExecutionState>) {
  const calls: string[] = [];
  const port: ExecutionControl = {
    describe: async (arn) => Object.entries(executions).find(([name]) => arnOf(name) === arn)?.[1],
    redrive: async (arn) => void calls.push(`redrive ${arn}`),
    start: async (arn, name, input) => {
      calls.push(`start ${arn} ${name} ${input}`);
      executions[name] = { status: 'RUNNING', input };
    },
  };
  return { port, calls };
}

const failed = (redrivable: boolean): ExecutionState => ({
  status: 'FAILED',
  input: '{"deal":"18274650231"}',
  error: 'VendorUnavailable',
  redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
  ...(redrivable ? {} : { redriveStatusReason: 'Execution redrivable period exceeded' }),
});

const entry = (overrides: Partial<InboxEntry> = {}): InboxEntry => ({
  ref: 'opportunity-to-project/opportunity/hubspot-main:18274650231',
  workflow: 'opportunity-to-project',
  entityType: 'opportunity',
  entityId: 'hubspot-main:18274650231',
  state: 'open',
  ownerTeam: 'sales-operations',
  reason: 'VendorUnavailable: Kantata answered 503',
  remediation: 'resume it with npm run ops -- exceptions retry <this exception>',
  occurrences: 1,
  firstSeenAt: '2026-11-24T10:00:00.000Z',
  lastSeenAt: '2026-11-24T10:00:00.000Z',
  execution: original,
  ...overrides,
});

describe('retrying the execution of an exception', () => {
  it('redrives it within its redrive window', async () => {
    const { port, calls } = control({ [original]: failed(true) });

    expect(await retryExecution(entry(), machines, port)).toEqual({ retried: true, how: 'redrive', execution: original, attempt: 1 });
    expect(calls).toEqual([`redrive ${arnOf(original)}`]);
  });

  it('starts it again with the same input under <name>-ops<attempt> once it is past the window', async () => {
    const { port, calls } = control({ [original]: failed(false) });

    expect(await retryExecution(entry(), machines, port)).toEqual({ retried: true, how: 'restart', execution: `${original}-ops1`, attempt: 1 });
    expect(calls).toEqual([`start ${machine} ${original}-ops1 {"deal":"18274650231"}`]);
  });

  it('refuses a second retry while the restarted execution runs, though the one that failed is not running', async () => {
    const { port, calls } = control({ [original]: failed(false), [`${original}-ops1`]: { status: 'RUNNING', input: '{"deal":"18274650231"}' } });
    const retrying = entry({
      state: 'retrying',
      opsAttempts: 1,
      lastRetry: { how: 'restart', execution: `${original}-ops1`, by: 'arn:aws:iam::000000000000:user/ops', at: '2026-12-09T10:00:00.000Z' },
    });

    expect(await retryExecution(retrying, machines, port)).toEqual({ retried: false, status: 409, reason: `${original}-ops1 is running already.` });
    expect(calls).toEqual([]);
  });

  it('restarts a failed restart under the original name and the next attempt, or redrives it within its window', async () => {
    const again = entry({ execution: `${original}-ops1`, occurrences: 2, opsAttempts: 1 });

    const late = control({ [original]: failed(false), [`${original}-ops1`]: failed(false) });
    expect(await retryExecution(again, machines, late.port)).toMatchObject({ how: 'restart', execution: `${original}-ops2`, attempt: 2 });
    const soon = control({ [original]: failed(false), [`${original}-ops1`]: failed(true) });
    expect(await retryExecution(again, machines, soon.port)).toMatchObject({ how: 'redrive', execution: `${original}-ops1`, attempt: 2 });
  });
});
