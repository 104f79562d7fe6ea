import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * A Lambda event source mapping for SQS, locally: long-polls the queue, invokes the consumer with
 * the SQS event shape Lambda builds, deletes what succeeded and leaves failed items (reported through
 * `batchItemFailures`, or the whole batch when the function throws) to reappear after the visibility
 * timeout, until the queue's redrive policy moves them to the DLQ.
 */
export function startSqsEventSource(options: {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  readonly onError?: (error: unknown) => void;
}): { stop(): Promise<void>; idle(): Promise<void> } {
  let running = true;
  let inFlight: Promise<void> = Promise.resolve();
  let emptyPolls = 0;
  const idleWaiters: (() => void)[] = [];

  const poll = async (): Promise<void> => {
    while (running) {
      const received = await options.sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            // local-aws-sqs returns ApproximateReceiveCount only for the older AttributeNames parameter.
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        )
        .catch((error: unknown) => {
          if (running) options.onError?.(error);
          return { Messages: [] };
        });
      const messages = received.Messages ?? [];
      if (messages.length === 0) {
        emptyPolls += 1;
        if (emptyPolls >= 1) idleWaiters.splice(0).forEach((w) => w());
        continue;
      }
      emptyPolls = 0;
      const event: SQSEvent = {
        Records: messages.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body ?? '',
          attributes: {
            ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
            SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: Object.fromEntries(
            Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
              k,
              { stringValue: v.StringValue, dataType: v.DataType ?? 'String', stringListValues: [], binaryListValues: [] },
            ]),
          ),
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: options.queueArn,
          awsRegion: options.region,
        })),
      };
      let failed = new Set<string>(messages.map((m) => m.MessageId!));
      try {
        const response = (await options.invoke(event)) as SQSBatchResponse | null;
        failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (error) {
        options.onError?.(error);
      }
      const done = messages.filter((m) => !failed.has(m.MessageId!));
      if (done.length > 0) {
        await options.sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
        );
      }
    }
  };
  inFlight = poll();
  return {
    async stop() {
      running = false;
      await inFlight;
    },
    /** Resolves after the next poll that finds the queue empty. */
    idle: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}
