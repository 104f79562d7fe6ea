import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuditTrail } from '../common/audit-trail';
import { type HttpAnswer, problemAnswer } from '../common/http/problem';

/**
 * The `dlq` commands of the ops API: every work queue's DLQ of the region with its depth and its latest
 * redrive, a peek at its messages, and the redrive SQS's console starts (a message move task back to
 * the source queue). A DLQ is named by its work queue's declaration id (`HubspotDealEvents`); the
 * target-failure queues of rules and schedules are not among them (SQS redrives only the DLQs of SQS
 * queues; docs/operations.md says how to redrive those).
 *
 * Message bodies can hold personal data (a deal's contact, an invoice's customer): the peek returns them
 * to the IAM-authorized operator who asked, and nothing here logs them.
 */

/** A DLQ's latest message move task (redrive), as SQS reports it. */
export interface MoveTask {
  readonly status: 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED' | string;
  readonly moved: number;
  /** What the task found to move when it started. */
  readonly toMove: number | null;
  readonly startedAt: string;
  readonly maxPerSecond: number | null;
  readonly failureReason: string | null;
}

/** One work queue's DLQ. */
export interface DeadLetterQueueState {
  /** The work queue's declaration id: what `peek` and `redrive` take. */
  readonly queue: string;
  /** The DLQ's own name, as the SQS console shows it. */
  readonly deadLetterQueue: string;
  /** Messages waiting (approximate, as SQS counts them). */
  readonly messages: number;
  /** Messages being received right now (a peek, a redrive under way). */
  readonly inFlight: number;
  readonly moveTask: MoveTask | null;
}

/** A message in a DLQ, as a peek sees it (the peek itself counts as one more receive). */
export interface DeadLetterMessage {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly firstReceivedAt: string | null;
  readonly sentAt: string | null;
  /** The message body, whole; may hold personal data. */
  readonly body: string;
}

/** A redrive started, or why not. */
export type RedriveOutcome =
  | { readonly started: true; readonly taskHandle: string; readonly toMove: number }
  | { readonly started: false; readonly reason: string };

/** The region's DLQs as the commands use them. */
export interface DeadLetterQueuePort {
  /** The work queues that have a DLQ here, by declaration id. */
  queues(): readonly string[];
  list(): Promise<DeadLetterQueueState[]>;
  /** Up to `max` messages (at most 10), left where they are. */
  peek(queue: string, max: number): Promise<DeadLetterMessage[]>;
  /** Moves the DLQ's messages back to their source queue, at most `maxPerSecond` a second when given. */
  redrive(queue: string, maxPerSecond?: number): Promise<RedriveOutcome>;
}

/** SQS's own limits: a receive returns at most 10 messages; a move task moves 1 to 500 a second. */
export const MAX_PEEK = 10;
export const MAX_REDRIVE_RATE = 500;

const epochMsToIso = (ms: string | undefined): string | null => (ms && Number(ms) > 0 ? new Date(Number(ms)).toISOString() : null);

/**
 * The DLQs on SQS. `urls` gives each DLQ's URL by its work queue's id (read on first use, from the
 * function's environment). The ARN a move task takes comes from the queue itself (`QueueArn`).
 */
export class SqsDeadLetterQueues implements DeadLetterQueuePort {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: () => Readonly<Record<string, string>>,
  ) {}

  queues(): readonly string[] {
    return Object.keys(this.urls()).sort();
  }

  async list(): Promise<DeadLetterQueueState[]> {
    const states = await Promise.all(this.queues().map((queue) => this.state(queue)));
    // The ones holding messages first, then by id.
    return states.sort((a, b) => b.messages + b.inFlight - (a.messages + a.inFlight) || a.queue.localeCompare(b.queue));
  }

  async peek(queue: string, max: number): Promise<DeadLetterMessage[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.urlOf(queue),
        MaxNumberOfMessages: Math.min(MAX_PEEK, Math.max(1, max)),
        // Visible again at once: the messages stay in the DLQ for the redrive. The receive still counts.
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
      }),
    );
    return (Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      firstReceivedAt: epochMsToIso(m.Attributes?.ApproximateFirstReceiveTimestamp),
      sentAt: epochMsToIso(m.Attributes?.SentTimestamp),
      body: m.Body ?? '',
    }));
  }

  async redrive(queue: string, maxPerSecond?: number): Promise<RedriveOutcome> {
    const { arn, messages, moveTask } = await this.attributes(queue);
    if (moveTask?.status === 'RUNNING') return { started: false, reason: `a redrive of ${queue}'s DLQ is already running (${moveTask.moved} moved so far)` };
    if (messages === 0) return { started: false, reason: `${queue}'s DLQ holds no message to redrive` };
    // No DestinationArn: each message goes back to the queue it came from, the work queue, as the console's "Redrive to source queue(s)".
    const { TaskHandle } = await this.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: arn, ...(maxPerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: maxPerSecond }) }),
    );
    return { started: true, taskHandle: TaskHandle ?? '', toMove: messages };
  }

  private urlOf(queue: string): string {
    const url = this.urls()[queue];
    if (url === undefined) throw new Error(`No DLQ of a work queue ${queue} in this region`);
    return url;
  }

  private async state(queue: string): Promise<DeadLetterQueueState> {
    const { messages, inFlight, moveTask } = await this.attributes(queue);
    return { queue, deadLetterQueue: this.urlOf(queue).split('/').pop()!, messages, inFlight, moveTask };
  }

  private async attributes(queue: string): Promise<{ arn: string; messages: number; inFlight: number; moveTask: MoveTask | null }> {
    const { Attributes } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.urlOf(queue),
        AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const arn = Attributes?.QueueArn ?? '';
    const { Results } = await this.client.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 }));
    const latest = Results?.[0];
    return {
      arn,
      messages: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      moveTask: latest ? moveTaskOf(latest) : null,
    };
  }
}

function moveTaskOf(task: ListMessageMoveTasksResultEntry): MoveTask {
  return {
    status: task.Status ?? 'UNKNOWN',
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: task.ApproximateNumberOfMessagesToMove ?? null,
    startedAt: epochMsToIso(String(task.StartedTimestamp ?? '')) ?? '',
    maxPerSecond: task.MaxNumberOfMessagesPerSecond ?? null,
    failureReason: task.FailureReason ?? null,
  };
}

/** What the `dlq` commands run on. */
export interface DeadLetterQueueDependencies {
  readonly deadLetterQueues: DeadLetterQueuePort;
  readonly audit: AuditTrail;
  readonly now: () => Date;
}

function ok(body: unknown, correlationId: string): HttpAnswer {
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId }, body: JSON.stringify(body) };
}

/**
 * One `dlq` request of the ops API, or undefined when the route is not one: `GET /ops/dlqs` (every
 * DLQ), `GET /ops/dlqs/{queue}/messages[?max=n]` (a peek) and `POST /ops/dlqs/{queue}/redrive` (body,
 * when sent: `{ "maxPerSecond": n }`). Every redrive, started or refused, is written to the audit trail
 * with the caller's ARN, as the exception actions are.
 */
export async function deadLetterQueueCommand(
  request: APIGatewayProxyEvent,
  caller: string,
  deps: DeadLetterQueueDependencies,
): Promise<HttpAnswer | undefined> {
  const correlationId = request.requestContext.requestId;
  const route = `${request.httpMethod} ${request.resource}`;
  if (!route.startsWith('GET /ops/dlqs') && !route.startsWith('POST /ops/dlqs')) return undefined;
  if (route === 'GET /ops/dlqs') return ok({ deadLetterQueues: await deps.deadLetterQueues.list() }, correlationId);

  const queue = request.pathParameters?.queue ?? '';
  if (!deps.deadLetterQueues.queues().includes(queue))
    return problemAnswer(404, 'Not Found', `No work queue ${queue} with a DLQ in this region; dlq list names them.`, correlationId);

  if (route === 'GET /ops/dlqs/{queue}/messages') {
    const max = Number(request.queryStringParameters?.max ?? MAX_PEEK);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PEEK)
      return problemAnswer(400, 'Bad Request', `max is a whole number from 1 to ${MAX_PEEK}.`, correlationId);
    return ok({ queue, messages: await deps.deadLetterQueues.peek(queue, max) }, correlationId);
  }

  if (route === 'POST /ops/dlqs/{queue}/redrive') {
    let maxPerSecond: number | undefined;
    try {
      const body = request.body ? (JSON.parse(request.body) as { maxPerSecond?: unknown }) : {};
      if (
        body.maxPerSecond !== undefined &&
        !(Number.isInteger(body.maxPerSecond) && Number(body.maxPerSecond) >= 1 && Number(body.maxPerSecond) <= MAX_REDRIVE_RATE)
      )
        throw new Error('maxPerSecond');
      maxPerSecond = body.maxPerSecond as number | undefined;
    } catch {
      return problemAnswer(400, 'Bad Request', `The body, when sent, is JSON: { "maxPerSecond": <1 to ${MAX_REDRIVE_RATE}> }.`, correlationId);
    }
    const at = deps.now();
    const outcome = await deps.deadLetterQueues.redrive(queue, maxPerSecond);
    await deps.audit.record({
      vendor: 'operations',
      instance: 'ops-api',
      recordType: 'dead-letter-queue',
      recordKey: queue,
      operation: 'redrive',
      execution: caller,
      correlationId,
      // What was asked and what SQS answered; never a message body.
      payload: { maxPerSecond: maxPerSecond ?? null, ...(outcome.started ? { taskHandle: outcome.taskHandle, toMove: outcome.toMove } : {}) },
      result: outcome.started ? 'ok' : 'rejected',
      status: outcome.started ? '200' : '409',
      at,
    });
    if (!outcome.started) return problemAnswer(409, 'Conflict', `Not redriven: ${outcome.reason}.`, correlationId);
    return ok({ redrive: { queue, taskHandle: outcome.taskHandle, toMove: outcome.toMove, maxPerSecond: maxPerSecond ?? null } }, correlationId);
  }
  return undefined;
}
