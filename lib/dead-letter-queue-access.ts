import { Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { WorkQueue } from './work-queue';

/**
 * What the ops API's `dlq` commands call on each work queue's DLQ: its depth (`GetQueueAttributes`), a
 * peek (`ReceiveMessage` with a zero visibility timeout), the status of its redrive
 * (`ListMessageMoveTasks`) and the redrive itself (`StartMessageMoveTask`, which SQS authorizes with
 * `ReceiveMessage`, `DeleteMessage` and `GetQueueAttributes` on the DLQ too: the task receives each
 * message and deletes it once it is sent).
 */
export const DEAD_LETTER_QUEUE_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
] as const;

/** What a redrive needs on its destination, the DLQ's source queue: the task sends each message there. */
export const SOURCE_QUEUE_ACTIONS = ['sqs:SendMessage'] as const;

/**
 * Where the DLQs are, as the function's environment variable holds it (JSON): the URL every queue of
 * the region starts with, and each work queue's DLQ by name. Names rather than URLs, so fifteen queues
 * with CloudFormation's generated names (up to 80 characters) fit well within Lambda's 4 KB for all
 * variables (test/lib/dead-letter-queue-access.test.ts checks the example configuration).
 */
export interface DeadLetterQueueDirectory {
  /** `https://sqs.<region>.amazonaws.com/<account>/`; locally the SQS endpoint and account. */
  readonly urlPrefix: string;
  /** The DLQ's name, by its work queue's declaration id. */
  readonly deadLetterQueues: Readonly<Record<string, string>>;
}

/**
 * Lets a function work the DLQs of these work queues (the region's, by declaration id) as the `dlq`
 * commands do, and tells it where they are in `variable`. Exactly {@link DEAD_LETTER_QUEUE_ACTIONS} on
 * each DLQ, {@link SOURCE_QUEUE_ACTIONS} on each work queue, and the region's key to read the DLQs'
 * messages and send them on (every queue is encrypted with it). Nothing on target-failure queues: SQS
 * redrives only DLQs of SQS queues, not those of EventBridge targets.
 */
export function grantDeadLetterQueues(fn: lambda.Function, queues: ReadonlyMap<string, WorkQueue>, key: kms.IKey, variable: string): void {
  const entries = [...queues].sort(([a], [b]) => a.localeCompare(b));
  if (entries.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...DEAD_LETTER_QUEUE_ACTIONS], resources: entries.map(([, q]) => q.deadLetterQueue.queueArn) }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...SOURCE_QUEUE_ACTIONS], resources: entries.map(([, q]) => q.queue.queueArn) }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }));
  }
  const directory: DeadLetterQueueDirectory = {
    urlPrefix: entries.length > 0 ? urlPrefixOf(entries[0]![1].deadLetterQueue.queueUrl) : '',
    deadLetterQueues: Object.fromEntries(entries.map(([id, q]) => [id, q.deadLetterQueue.queueName])),
  };
  fn.addEnvironment(variable, Stack.of(fn).toJsonString(directory));
}

/** `https://sqs.<region>.amazonaws.com/<account>/` of a queue URL known only at deploy time: its first four `/` parts. */
function urlPrefixOf(queueUrl: string): string {
  const parts = Fn.split('/', queueUrl);
  return Fn.join('/', [Fn.select(0, parts), Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts), '']);
}
