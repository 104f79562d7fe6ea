import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Sends messages in batches of ten (SQS's limit) and throws unless every message was stored, so a
 * caller answers success only for work that is durably queued.
 */
export async function sendAll(sqs: SQSClient, queueUrl: string, bodies: readonly unknown[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const chunk = bodies.slice(start, start + 10);
    const result = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) })) }),
    );
    if ((result.Failed ?? []).length > 0) {
      throw new Error(`SQS refused ${result.Failed!.length} of ${chunk.length} messages: ${result.Failed!.map((f) => f.Code).join(', ')}`);
    }
  }
}
