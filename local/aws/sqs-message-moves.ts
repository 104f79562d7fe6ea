import type { IamRequest } from './iam-evaluator';

/**
 * SQS's message move tasks (the API behind the console's "Start DLQ redrive"), as the local IAM gate
 * authorizes them. local-aws-sqs runs the tasks themselves with AWS's documented semantics, which
 * test/local/aws/sqs-message-moves.test.ts holds it to: `StartMessageMoveTask` takes only a queue that is
 * some queue's DLQ (`InvalidParameterValue` otherwise) and one running task per source; without a
 * `DestinationArn` each message goes back to the queue it was dead-lettered from; moved messages are new
 * messages (new id, receive count 0, retention restarted); `MaxNumberOfMessagesPerSecond` (1 to 500)
 * paces the task; `ListMessageMoveTasks` reports `RUNNING`, `COMPLETED`, `CANCELLING`, `CANCELLED` or
 * `FAILED` with the approximate numbers moved and to move, newest first.
 *
 * These calls name their queues by ARN (`SourceArn`, `DestinationArn`), not by `QueueUrl`, and SQS
 * authorizes more than the action itself (the SQS developer guide's "API permissions" reference): a task
 * receives from its source, deletes there what it sent, and sends to its destination with the caller's
 * permissions. AWS checks the destination as the task sends; the gate checks it when the task starts,
 * which refuses the same role, earlier.
 */

/** What a move task needs on its source (the DLQ), besides the action that starts or cancels it. */
const ON_SOURCE = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;

/**
 * The IAM requests of a message move call, or undefined for any other SQS operation. `deadLetterSources`
 * names the queues whose redrive policy targets a DLQ: where a task without a `DestinationArn` sends.
 */
export function messageMoveIamRequests(
  operation: string,
  body: Record<string, unknown>,
  deadLetterSources: (deadLetterQueueArn: string) => readonly string[],
): IamRequest[] | undefined {
  const on = (actions: readonly string[], resource: string) => actions.map((action) => ({ action, resource }));
  switch (operation) {
    case 'StartMessageMoveTask': {
      // Without a source the service refuses the request itself (MissingParameter), as AWS validates before it authorizes.
      if (typeof body.SourceArn !== 'string' || body.SourceArn === '') return [];
      const destinations = typeof body.DestinationArn === 'string' ? [body.DestinationArn] : deadLetterSources(body.SourceArn);
      return [...on(['sqs:StartMessageMoveTask', ...ON_SOURCE], body.SourceArn), ...destinations.flatMap((d) => on(['sqs:SendMessage'], d))];
    }
    case 'ListMessageMoveTasks':
      return typeof body.SourceArn === 'string' && body.SourceArn !== '' ? on(['sqs:ListMessageMoveTasks'], body.SourceArn) : [];
    case 'CancelMessageMoveTask': {
      const source = sourceOfTaskHandle(body.TaskHandle);
      return source === undefined ? [] : on(['sqs:CancelMessageMoveTask', ...ON_SOURCE], source);
    }
    default:
      return undefined;
  }
}

/** The source queue's ARN a task handle names. AWS's handles are opaque; local-aws-sqs's are base64 JSON with `sourceArn`. */
function sourceOfTaskHandle(handle: unknown): string | undefined {
  if (typeof handle !== 'string') return undefined;
  try {
    const { sourceArn } = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as { sourceArn?: unknown };
    return typeof sourceArn === 'string' ? sourceArn : undefined;
  } catch {
    return undefined;
  }
}

/** The source queues of each DLQ, by the DLQ's ARN, from queue definitions with their redrive policies. */
export function deadLetterSourcesOf(
  queues: readonly { readonly QueueName: string; readonly Attributes?: Readonly<Record<string, string>> }[],
  queueArn: (name: string) => string,
): (deadLetterQueueArn: string) => readonly string[] {
  const sources = new Map<string, string[]>();
  for (const q of queues) {
    const policy = q.Attributes?.RedrivePolicy;
    if (policy === undefined) continue;
    const { deadLetterTargetArn } = JSON.parse(policy) as { deadLetterTargetArn: string };
    sources.set(deadLetterTargetArn, [...(sources.get(deadLetterTargetArn) ?? []), queueArn(q.QueueName)]);
  }
  return (arn) => sources.get(arn) ?? [];
}
