import { DescribeExecutionCommand, RedriveExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionStatusChangeDetail, startStepFunctions } from '../../../local/aws/step-functions';

// RedriveExecution as the service does it: a failed execution resumes from the state it failed in, with
// that state's input, under the same ARN; states that succeeded do not run again; within 14 days only.
const fn = (name: string) => `arn:aws:lambda:eu-west-1:000000000000:function:${name}`;
const definition = JSON.stringify({
  StartAt: 'CreateCustomer',
  States: {
    CreateCustomer: { Type: 'Task', Resource: fn('create-customer'), ResultPath: '$.customer', Next: 'CreateProject' },
    CreateProject: { Type: 'Task', Resource: fn('create-project'), ResultPath: '$.project', End: true },
  },
});

class Unavailable extends Error {
  override name = 'VendorUnavailable';
}

type Stand = Awaited<ReturnType<typeof startStepFunctions>>;
const running: Stand[] = [];
afterEach(async () => Promise.all(running.splice(0).map((s) => s.close())));

async function standIn(projectFails: () => boolean) {
  let clock = Date.parse('2026-12-01T00:00:00Z');
  const calls = { customer: 0, project: [] as unknown[] };
  const changes: ExecutionStatusChangeDetail[] = [];
  const sfn = await startStepFunctions({
    region: 'eu-west-1',
    now: () => clock,
    onStatusChange: async (detail) => void changes.push(detail),
    stateMachines: [
      {
        name: 'opportunity-to-project',
        definition,
        invokeResource: (arn) =>
          arn === fn('create-customer')
            ? async () => ({ id: `customer-${++calls.customer}` })
            : arn === fn('create-project')
              ? async (input) => {
                  calls.project.push(input);
                  if (projectFails()) throw new Unavailable('Kantata 503');
                  return { id: 'project-1' };
                }
              : undefined,
      },
    ],
  });
  running.push(sfn);
  const client = new SFNClient({ endpoint: sfn.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const started = await client.send(
    new StartExecutionCommand({ stateMachineArn: sfn.arnOf('opportunity-to-project'), name: 'deal-42-r1', input: '{"deal":"42"}' }),
  );
  await sfn.executions[0]!.done;
  return { sfn, client, calls, changes, executionArn: started.executionArn!, advance: (ms: number) => void (clock += ms) };
}

describe('RedriveExecution on the Step Functions stand-in', () => {
  it('resumes from the failed state with its input, under the same ARN, without running the states that succeeded', async () => {
    let down = true;
    const { sfn, client, calls, changes, executionArn } = await standIn(() => down);
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'VendorUnavailable',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });

    down = false;
    await client.send(new RedriveExecutionCommand({ executionArn }));
    await sfn.executions[0]!.done;

    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE', input: '{"deal":"42"}' });
    expect(JSON.parse(described.output!)).toEqual({ deal: '42', customer: { id: 'customer-1' }, project: { id: 'project-1' } });
    expect(calls.customer).toBe(1);
    expect(calls.project).toEqual([
      { deal: '42', customer: { id: 'customer-1' } },
      { deal: '42', customer: { id: 'customer-1' } },
    ]);
    expect(changes.map((c) => [c.status, c.error, c.redriveCount])).toEqual([
      ['FAILED', 'VendorUnavailable', 0],
      ['SUCCEEDED', null, 1],
    ]);
  });

  it('refuses a running or succeeded execution, and one past the 14-day window', async () => {
    let down = true;
    const { sfn, client, executionArn, advance } = await standIn(() => down);
    advance(14 * 24 * 3600 * 1000 + 1000);
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded',
    });
    await expect(client.send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });

    const second = await standIn(() => false);
    await expect(second.client.send(new RedriveExecutionCommand({ executionArn: second.executionArn }))).rejects.toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution cannot be redriven: Execution is SUCCEEDED and cannot be redriven.',
    });
    down = false;
    expect(sfn.executions[0]!.status).toBe('FAILED');
  });

  it('moves its own clock on as time passing would: the window closes, and the dates it gives from then on are later', async () => {
    const { sfn, client, executionArn } = await standIn(() => true);
    const failedAt = (await client.send(new DescribeExecutionCommand({ executionArn }))).stopDate!.getTime();

    sfn.advanceClock(15 * 24 * 3600 * 1000);

    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded',
    });
    const later = await client.send(
      new StartExecutionCommand({ stateMachineArn: sfn.arnOf('opportunity-to-project'), name: 'deal-42-r1-ops1', input: '{"deal":"42"}' }),
    );
    expect(later.startDate!.getTime() - failedAt).toBeGreaterThanOrEqual(15 * 24 * 3600 * 1000);
    expect(() => sfn.advanceClock(-1)).toThrow(/forward only/);
  });

  it('counts each redrive, and a redrive that fails again leaves it redrivable', async () => {
    const { sfn, client, executionArn } = await standIn(() => true);
    await client.send(new RedriveExecutionCommand({ executionArn }));
    await sfn.executions[0]!.done;
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', redriveCount: 1, redriveStatus: 'REDRIVABLE' });
  });
});
