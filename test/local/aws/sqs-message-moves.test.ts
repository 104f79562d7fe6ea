import type { AddressInfo } from 'node:net';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE_ACTIONS, SOURCE_QUEUE_ACTIONS } from '../../../lib/dead-letter-queue-access';
import { IamEvaluator, type LocalPrincipal } from '../../../local/aws/iam-evaluator';
import { type IamGate, iamRequestsOf, startIamGate } from '../../../local/aws/iam-gate';
import { type SqsFront, startSqsFront } from '../../../local/aws/sqs-front';
import { deadLetterSourcesOf } from '../../../local/aws/sqs-message-moves';

// DLQ redrive on the local stack: local-aws-sqs's message move tasks behind the SQS front and the IAM
// gate, as the ops function reaches them, held to what AWS documents for StartMessageMoveTask and
// ListMessageMoveTasks.
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const arn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const SOURCES = ['moved', 'refused', 'paced', 'peeked', 'guarded'] as const;
const queues = [
  ...SOURCES.flatMap((name) => [
    { QueueName: `${name}-dlq` },
    // One receive and a message is dead-lettered: a receive with a zero visibility timeout moves it at once.
    { QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(`${name}-dlq`), maxReceiveCount: 1 }) } },
  ]),
  { QueueName: 'not-a-dlq' },
];
const policy = (statements: { actions: readonly string[]; resources: string[] }[]) => ({
  name: 'policy',
  document: { Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', Action: [...s.actions], Resource: s.resources })) },
});
const principals = new Map<string, LocalPrincipal>([
  [
    'Operator',
    {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/OpsRole/RunOpsCommand`,
      policies: [
        policy([
          { actions: DEAD_LETTER_QUEUE_ACTIONS, resources: [...SOURCES.map((s) => arn(`${s}-dlq`)), arn('not-a-dlq')] },
          { actions: SOURCE_QUEUE_ACTIONS, resources: SOURCES.filter((s) => s !== 'guarded').map(arn) },
        ]),
      ],
    },
  ],
]);

let sqsUrl: string;
let front: SqsFront;
let gate: IamGate;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  const server = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    region: REGION,
    accountId: ACCOUNT,
    emulateQueueCreationLifecycle: false,
    queues: queues as never,
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  sqsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  front = await startSqsFront({ target: sqsUrl });
  gate = await startIamGate({
    service: 'sqs',
    target: front.url,
    region: REGION,
    account: ACCOUNT,
    evaluator: new IamEvaluator(ACCOUNT, principals),
    deadLetterSources: deadLetterSourcesOf(queues, arn),
  });
  closers.push(
    () => front.close(),
    () => gate.close(),
  );
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

const admin = () => new SQSClient({ endpoint: sqsUrl, region: REGION, credentials: { accessKeyId: 'admin', secretAccessKey: 'local' }, maxAttempts: 1 });
const operator = () =>
  new SQSClient({ endpoint: gate.url, region: REGION, credentials: { accessKeyId: 'Operator', secretAccessKey: 'local' }, maxAttempts: 1 });
const url = (name: string) => `${sqsUrl}/${ACCOUNT}/${name}`;

/** Sends each body to the queue and receives it once, which dead-letters it (maxReceiveCount 1). */
async function deadLetter(queue: string, bodies: string[]): Promise<void> {
  const sqs = admin();
  for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: url(queue), MessageBody: body }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl: url(queue), MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  await until(async () => (await depth(`${queue}-dlq`)) === bodies.length);
}

async function depth(queue: string): Promise<number> {
  const { Attributes } = await admin().send(new GetQueueAttributesCommand({ QueueUrl: url(queue), AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const latestTask = async (queue: string) => (await operator().send(new ListMessageMoveTasksCommand({ SourceArn: arn(`${queue}-dlq`) }))).Results?.[0];

describe('a DLQ redrive on the local stack', () => {
  it('moves the messages back to the queue they were dead-lettered from, as new messages with a fresh receive count', async () => {
    await deadLetter('moved', ['a', 'b', 'c']);
    const dead = await admin().send(new ReceiveMessageCommand({ QueueUrl: url('moved-dlq'), MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));

    const { TaskHandle } = await operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('moved-dlq') }));

    expect(TaskHandle).toEqual(expect.any(String));
    expect(await latestTask('moved')).toMatchObject({ Status: 'RUNNING', SourceArn: arn('moved-dlq'), ApproximateNumberOfMessagesToMove: 3, TaskHandle });
    await until(async () => (await latestTask('moved'))?.Status === 'COMPLETED');
    const done = await latestTask('moved');
    expect(done).toMatchObject({ ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 });
    // Only a running task has a handle to cancel it by.
    expect(done?.TaskHandle).toBeUndefined();
    expect(await depth('moved-dlq')).toBe(0);
    // Straight to local-aws-sqs, which reads only the older AttributeNames (the front reads either).
    const back = await admin().send(new ReceiveMessageCommand({ QueueUrl: url('moved'), MaxNumberOfMessages: 10, AttributeNames: ['All'] }));
    expect(back.Messages?.map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);
    // New messages: a fresh receive count (this receive is their first), so they do not bounce straight back; new ids, as AWS assigns.
    expect(back.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['1', '1', '1']);
    expect(back.Messages?.some((m) => dead.Messages?.some((d) => d.MessageId === m.MessageId))).toBe(false);
  });

  it('refuses a source that is no queue’s DLQ, and a second task on a source while one runs', async () => {
    await expect(operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('not-a-dlq') }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Source queue must be configured as a Dead Letter Queue.',
    });
    await deadLetter('refused', ['a', 'b']);
    // One message a second: the first task is still running when the second is asked for.
    await operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('refused-dlq'), MaxNumberOfMessagesPerSecond: 1 }));
    await expect(operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('refused-dlq') }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringMatching(/^There is already a task running/),
    });
    await until(async () => (await latestTask('refused'))?.Status === 'COMPLETED');
  });

  it('moves at most MaxNumberOfMessagesPerSecond a second', async () => {
    await deadLetter('paced', ['1', '2', '3', '4', '5']);
    await operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('paced-dlq'), MaxNumberOfMessagesPerSecond: 2 }));

    // The task moves once a second: its first move is two messages, the rest a second and two later.
    await until(async () => ((await latestTask('paced'))?.ApproximateNumberOfMessagesMoved ?? 0) > 0);
    expect(await latestTask('paced')).toMatchObject({ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 2, MaxNumberOfMessagesPerSecond: 2 });
    await until(async () => (await latestTask('paced'))?.Status === 'COMPLETED');
    expect(await latestTask('paced')).toMatchObject({ ApproximateNumberOfMessagesMoved: 5 });
  });

  it('fails a task when a message names no source queue and no destination was given', async () => {
    // Sent to the DLQ directly, not dead-lettered: SQS cannot tell where it belongs.
    await admin().send(new SendMessageCommand({ QueueUrl: url('peeked-dlq'), MessageBody: 'stray' }));
    await operator().send(new StartMessageMoveTaskCommand({ SourceArn: arn('peeked-dlq') }));
    await until(async () => (await latestTask('peeked'))?.Status === 'FAILED');
    expect(await latestTask('peeked')).toMatchObject({ FailureReason: 'CouldNotDetermineMessageSource', ApproximateNumberOfMessagesMoved: 0 });
    expect(await depth('peeked-dlq')).toBe(1);
  });

  it('refuses, as AWS does, a redrive by a role that may not send to the source queue', async () => {
    await deadLetter('guarded', ['a']);
    const refused = await operator()
      .send(new StartMessageMoveTaskCommand({ SourceArn: arn('guarded-dlq') }))
      .catch((e: Error) => e);
    expect(refused).toMatchObject({
      name: 'AccessDenied',
      message: `User: ${principals.get('Operator')!.arn} is not authorized to perform: sqs:SendMessage on resource: ${arn('guarded')} because no identity-based policy allows the sqs:SendMessage action`,
    });
    expect(await latestTask('guarded')).toBeUndefined();
    expect(await depth('guarded-dlq')).toBe(1);
  });
});

describe('a peek through the SQS front', () => {
  it('returns each message once, counting one receive, and leaves it in the queue', async () => {
    const sqs = admin();
    for (const body of ['x', 'y']) await sqs.send(new SendMessageCommand({ QueueUrl: url('not-a-dlq'), MessageBody: body }));
    const peek = () =>
      operator().send(
        new ReceiveMessageCommand({
          QueueUrl: `${gate.url}/${ACCOUNT}/not-a-dlq`,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );

    const first = await peek();
    const second = await peek();

    expect(first.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]).sort()).toEqual([
      ['x', '1'],
      ['y', '1'],
    ]);
    expect(second.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]).sort()).toEqual([
      ['x', '2'],
      ['y', '2'],
    ]);
    expect(await depth('not-a-dlq')).toBe(2);
  });
});

describe('the IAM requests of a message move', () => {
  const where = { region: REGION, account: ACCOUNT, deadLetterSources: deadLetterSourcesOf(queues, arn) };
  const onDlq = (actions: string[], dlq: string) => actions.map((action) => ({ action, resource: arn(dlq) }));

  it('needs, besides starting, receive, delete and attributes on the DLQ and send on each source queue, or on the destination given', () => {
    const start = ['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
    expect(iamRequestsOf('sqs', 'StartMessageMoveTask', { SourceArn: arn('moved-dlq') }, where)).toEqual([
      ...onDlq(start, 'moved-dlq'),
      { action: 'sqs:SendMessage', resource: arn('moved') },
    ]);
    expect(iamRequestsOf('sqs', 'StartMessageMoveTask', { SourceArn: arn('moved-dlq'), DestinationArn: arn('not-a-dlq') }, where)).toEqual([
      ...onDlq(start, 'moved-dlq'),
      { action: 'sqs:SendMessage', resource: arn('not-a-dlq') },
    ]);
  });

  it('names the source by its ARN for a listing, and by the task handle for a cancel', () => {
    expect(iamRequestsOf('sqs', 'ListMessageMoveTasks', { SourceArn: arn('moved-dlq') }, where)).toEqual(onDlq(['sqs:ListMessageMoveTasks'], 'moved-dlq'));
    const handle = Buffer.from(JSON.stringify({ taskId: 't', sourceArn: arn('moved-dlq') })).toString('base64');
    expect(iamRequestsOf('sqs', 'CancelMessageMoveTask', { TaskHandle: handle }, where)).toEqual(
      onDlq(['sqs:CancelMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], 'moved-dlq'),
    );
  });
});
