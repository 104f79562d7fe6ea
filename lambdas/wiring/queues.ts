import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../common/clients/sqs';
import { sendAll } from '../common/queue';
import { DEFERRALS_ATTRIBUTE, type DeferRecord } from '../common/sqs-deferral';
import type { Container } from './container';

/** Sends to the function's declared queues. */
export interface QueueSender {
  /** Sends messages to a queue, all or nothing. */
  send(queue: string, bodies: readonly unknown[]): Promise<void>;
  /** Asks for the next poll of an instance at once, on the poll's own request queue: a backlog is worked off in steps. */
  pollAgain(queue: string, instance: string): Promise<void>;
}

/** The sender of a function's queues (each must be declared; asking for another is an error naming it). */
export function queueSender(c: Container): QueueSender {
  return {
    send: (queue, bodies) => sendAll(sqs(), c.env.queueUrl(queue), bodies),
    pollAgain: async (queue, instance) => {
      await sqs().send(new SendMessageCommand({ QueueUrl: c.env.queueUrl(queue), MessageBody: JSON.stringify({ instance, reason: 'backlog' }) }));
    },
  };
}

/** Sends a record back to the function's own queue (declared with send access), delayed, with its deferral count. */
export function deferToQueue(c: Container, queue: string): DeferRecord {
  const url = c.env.queueUrl(queue);
  return async (record, deferrals, delaySeconds) => {
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: record.body,
        DelaySeconds: delaySeconds,
        MessageAttributes: { [DEFERRALS_ATTRIBUTE]: { DataType: 'Number', StringValue: String(deferrals) } },
      }),
    );
  };
}
