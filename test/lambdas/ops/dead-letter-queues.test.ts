import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../lambdas/common/audit-trail';
import { type DeadLetterQueuePort, deadLetterQueueCommand, type RedriveOutcome, SqsDeadLetterQueues } from '../../../lambdas/ops/dead-letter-queues';

const CALLER = 'arn:aws:sts::000000000000:assumed-role/Operator/ada';
const NOW = new Date('2026-11-30T10:00:00Z');

function request(
  method: 'GET' | 'POST',
  resource: string,
  options: { queue?: string; body?: string; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    pathParameters: options.queue === undefined ? null : { queue: options.queue },
    queryStringParameters: options.query ?? null,
    body: options.body ?? null,
    requestContext: { requestId: 'req-1', identity: { userArn: CALLER } },
  } as unknown as APIGatewayProxyEvent;
}

function fakePort(outcome: RedriveOutcome = { started: true, taskHandle: 'handle-1', toMove: 3 }) {
  const redrives: [string, number | undefined][] = [];
  const port: DeadLetterQueuePort = {
    queues: () => ['HubspotDealEvents', 'PsaPollRequests'],
    list: async () => [{ queue: 'HubspotDealEvents', deadLetterQueue: 'HubspotDealEvents-dlq', messages: 3, inFlight: 0, moveTask: null }],
    peek: async (_queue, max) =>
      Array.from({ length: Math.min(max, 2) }, (_, i) => ({
        messageId: `m${i}`,
        receiveCount: 1,
        firstReceivedAt: null,
        sentAt: null,
        body: '{"email":"ada@example.com"}',
      })),
    redrive: async (queue, maxPerSecond) => {
      redrives.push([queue, maxPerSecond]);
      return outcome;
    },
  };
  const audited: AuditEntry[] = [];
  return { deps: { deadLetterQueues: port, audit: { record: async (e: AuditEntry) => void audited.push(e) }, now: () => NOW }, redrives, audited };
}

describe('the dlq commands of the ops API', () => {
  it('leaves other routes to the other commands', async () => {
    expect(await deadLetterQueueCommand(request('GET', '/ops/exceptions'), CALLER, fakePort().deps)).toBeUndefined();
  });

  it('lists the DLQs, and peeks at one by its work queue id, bodies included for the operator', async () => {
    const { deps } = fakePort();

    const listed = await deadLetterQueueCommand(request('GET', '/ops/dlqs'), CALLER, deps);
    const peeked = await deadLetterQueueCommand(
      request('GET', '/ops/dlqs/{queue}/messages', { queue: 'HubspotDealEvents', query: { max: '1' } }),
      CALLER,
      deps,
    );

    expect(JSON.parse(listed!.body)).toEqual({ deadLetterQueues: [expect.objectContaining({ queue: 'HubspotDealEvents', messages: 3 })] });
    expect(JSON.parse(peeked!.body)).toEqual({
      queue: 'HubspotDealEvents',
      messages: [expect.objectContaining({ messageId: 'm0', body: '{"email":"ada@example.com"}' })],
    });
  });

  it('refuses an unknown queue and a peek of more than SQS returns at once', async () => {
    const { deps } = fakePort();
    const unknown = await deadLetterQueueCommand(request('GET', '/ops/dlqs/{queue}/messages', { queue: 'NoSuchQueue' }), CALLER, deps);
    const tooMany = await deadLetterQueueCommand(
      request('GET', '/ops/dlqs/{queue}/messages', { queue: 'HubspotDealEvents', query: { max: '11' } }),
      CALLER,
      deps,
    );

    expect([unknown?.statusCode, JSON.parse(unknown!.body).detail]).toEqual([404, 'No work queue NoSuchQueue with a DLQ in this region; dlq list names them.']);
    expect(tooMany?.statusCode).toBe(400);
  });

  it('redrives a DLQ and writes who asked to the audit trail, never a message body', async () => {
    const { deps, redrives, audited } = fakePort();

    const answer = await deadLetterQueueCommand(
      request('POST', '/ops/dlqs/{queue}/redrive', { queue: 'HubspotDealEvents', body: '{"maxPerSecond":10}' }),
      CALLER,
      deps,
    );

    expect(answer?.statusCode).toBe(200);
    expect(JSON.parse(answer!.body)).toEqual({ redrive: { queue: 'HubspotDealEvents', taskHandle: 'handle-1', toMove: 3, maxPerSecond: 10 } });
    expect(redrives).toEqual([['HubspotDealEvents', 10]]);
    expect(audited).toEqual([
      {
        vendor: 'operations',
        instance: 'ops-api',
        recordType: 'dead-letter-queue',
        recordKey: 'HubspotDealEvents',
        operation: 'redrive',
        execution: CALLER,
        correlationId: 'req-1',
        payload: { maxPerSecond: 10, taskHandle: 'handle-1', toMove: 3 },
        result: 'ok',
        status: '200',
        at: NOW,
      },
    ]);
  });

  it('answers 409 when SQS would not start a redrive, and audits the refusal too', async () => {
    const { deps, audited } = fakePort({ started: false, reason: 'a redrive of HubspotDealEvents’s DLQ is already running (1 moved so far)' });

    const answer = await deadLetterQueueCommand(request('POST', '/ops/dlqs/{queue}/redrive', { queue: 'HubspotDealEvents' }), CALLER, deps);

    expect([answer?.statusCode, JSON.parse(answer!.body).detail]).toEqual([
      409,
      'Not redriven: a redrive of HubspotDealEvents’s DLQ is already running (1 moved so far).',
    ]);
    expect(audited.map((e) => [e.operation, e.result, e.status, e.payload])).toEqual([['redrive', 'rejected', '409', { maxPerSecond: null }]]);
  });

  it('refuses a rate SQS would refuse, before asking it', async () => {
    const { deps, redrives } = fakePort();
    const answer = await deadLetterQueueCommand(
      request('POST', '/ops/dlqs/{queue}/redrive', { queue: 'HubspotDealEvents', body: '{"maxPerSecond":501}' }),
      CALLER,
      deps,
    );
    expect(answer?.statusCode).toBe(400);
    expect(redrives).toEqual([]);
  });
});

describe('the DLQs on SQS', () => {
  /** A client answering each command by its name, recording what was sent. */
  function fakeSqs(answers: Record<string, (input: Record<string, unknown>) => unknown>) {
    const sent: [string, Record<string, unknown>][] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        sent.push([name, command.input]);
        return answers[name]?.(command.input) ?? {};
      },
    } as unknown as SQSClient;
    return { client, sent };
  }
  const urls = () => ({ HubspotDealEvents: 'https://sqs.us-east-1.amazonaws.com/123456789012/Stack-HubspotDealEventsDeadLetters-ABC' });
  const attributes = (messages: string) => () => ({
    Attributes: {
      QueueArn: 'arn:aws:sqs:us-east-1:123456789012:Stack-HubspotDealEventsDeadLetters-ABC',
      ApproximateNumberOfMessages: messages,
      ApproximateNumberOfMessagesNotVisible: '0',
    },
  });

  it('peeks with a zero visibility timeout, so the messages stay for the redrive', async () => {
    const { client, sent } = fakeSqs({
      ReceiveMessage: () => ({
        Messages: [
          {
            MessageId: 'm1',
            Body: '{}',
            Attributes: { ApproximateReceiveCount: '6', ApproximateFirstReceiveTimestamp: String(NOW.getTime()), SentTimestamp: String(NOW.getTime()) },
          },
        ],
      }),
    });

    const messages = await new SqsDeadLetterQueues(client, urls).peek('HubspotDealEvents', 10);

    expect(sent).toEqual([['ReceiveMessage', expect.objectContaining({ QueueUrl: urls().HubspotDealEvents, MaxNumberOfMessages: 10, VisibilityTimeout: 0 })]]);
    expect(messages).toEqual([{ messageId: 'm1', receiveCount: 6, firstReceivedAt: NOW.toISOString(), sentAt: NOW.toISOString(), body: '{}' }]);
  });

  it('starts a move task from the DLQ without a destination (back to its source queue), unless one runs or the DLQ is empty', async () => {
    const running = { Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, StartedTimestamp: NOW.getTime() }] };
    const idle = fakeSqs({ GetQueueAttributes: attributes('4'), StartMessageMoveTask: () => ({ TaskHandle: 'h' }) });
    const busy = fakeSqs({ GetQueueAttributes: attributes('4'), ListMessageMoveTasks: () => running });
    const empty = fakeSqs({ GetQueueAttributes: attributes('0') });

    expect(await new SqsDeadLetterQueues(idle.client, urls).redrive('HubspotDealEvents')).toEqual({ started: true, taskHandle: 'h', toMove: 4 });
    expect(idle.sent.at(-1)).toEqual(['StartMessageMoveTask', { SourceArn: 'arn:aws:sqs:us-east-1:123456789012:Stack-HubspotDealEventsDeadLetters-ABC' }]);
    expect(await new SqsDeadLetterQueues(busy.client, urls).redrive('HubspotDealEvents')).toMatchObject({
      started: false,
      reason: expect.stringContaining('already running'),
    });
    expect(await new SqsDeadLetterQueues(empty.client, urls).redrive('HubspotDealEvents')).toMatchObject({
      started: false,
      reason: expect.stringContaining('no message'),
    });
    expect([...busy.sent, ...empty.sent].map(([name]) => name)).not.toContain('StartMessageMoveTask');
  });

  it('lists each DLQ with its name, depth and latest move task', async () => {
    const { client } = fakeSqs({
      GetQueueAttributes: attributes('2'),
      ListMessageMoveTasks: () => ({
        Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 5, ApproximateNumberOfMessagesToMove: 5, StartedTimestamp: NOW.getTime() }],
      }),
    });

    expect(await new SqsDeadLetterQueues(client, urls).list()).toEqual([
      {
        queue: 'HubspotDealEvents',
        deadLetterQueue: 'Stack-HubspotDealEventsDeadLetters-ABC',
        messages: 2,
        inFlight: 0,
        moveTask: { status: 'COMPLETED', moved: 5, toMove: 5, startedAt: NOW.toISOString(), maxPerSecond: null, failureReason: null },
      },
    ]);
  });
});
