import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { startStepFunctions } from '../../../local/aws/step-functions';

const definition = JSON.stringify({
  StartAt: 'PostInvoice',
  States: {
    PostInvoice: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:post-invoice',
      Retry: [{ ErrorEquals: ['VendorThrottled'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'RecordException' }],
      End: true,
    },
    RecordException: { Type: 'Fail', Error: 'ExceptionRecorded', Cause: 'see the exception store' },
  },
});

type Stand = Awaited<ReturnType<typeof startStepFunctions>>;
const running: Stand[] = [];
afterEach(async () => Promise.all(running.splice(0).map((s) => s.close())));

async function standIn(behaviour: (input: unknown) => Promise<unknown>) {
  const sfn = await startStepFunctions({
    region: 'eu-west-1',
    stateMachines: [
      {
        name: 'time-to-invoice',
        definition,
        invokeResource: (arn) => (arn.endsWith(':post-invoice') ? (input) => behaviour(input) as never : undefined),
        retryIntervalOverrides: { PostInvoice: 5 },
      },
    ],
  });
  running.push(sfn);
  const client = new SFNClient({ endpoint: sfn.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return { sfn, client, arn: sfn.arnOf('time-to-invoice') };
}

class Throttled extends Error {
  override name = 'VendorThrottled';
}

describe('the Step Functions stand-in', () => {
  it('runs the definition through the Task, retrying a matched error, and reports success', async () => {
    let calls = 0;
    const { sfn, client, arn } = await standIn(async (input) => {
      calls += 1;
      if (calls <= 2) throw new Throttled('429');
      return { posted: input };
    });

    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'contract-7-2026-10', input: '{"contract":"7"}' }));
    await sfn.executions[0]?.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));

    expect(calls).toBe(3);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toEqual({ posted: { contract: '7' } });
  });

  it('returns the running execution for a repeated start with the same name and input', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, arn } = await standIn(async () => gate.then(() => ({})));

    const first = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'opp-1-r1', input: '{}' }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'opp-1-r1', input: '{}' }));
    const otherInput = client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'opp-1-r1', input: '{"x":1}' }));

    expect(again.executionArn).toBe(first.executionArn);
    await expect(otherInput).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    release();
  });

  it('refuses a second start of a closed execution with ExecutionAlreadyExists', async () => {
    const { sfn, client, arn } = await standIn(async () => ({}));

    await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'opp-2-r1', input: '{}' }));
    await sfn.executions[0]?.done;

    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'opp-2-r1', input: '{}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    expect(sfn.executions).toHaveLength(1);
  });

  it('fails the execution through Catch when retries are exhausted, with the error and cause', async () => {
    const { sfn, client, arn } = await standIn(async () => {
      throw new Throttled('NetSuite concurrency limit');
    });

    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'contract-8', input: '{}' }));
    await sfn.executions[0]?.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));

    expect(described).toMatchObject({ status: 'FAILED', error: 'ExceptionRecorded', cause: 'see the exception store' });
  });

  it('refuses a definition whose Task has no local counterpart', async () => {
    await expect(startStepFunctions({ region: 'eu-west-1', stateMachines: [{ name: 'x', definition, invokeResource: () => undefined }] })).rejects.toThrow(
      /PostInvoice of x calls .*post-invoice, which has no local counterpart/,
    );
  });
});
