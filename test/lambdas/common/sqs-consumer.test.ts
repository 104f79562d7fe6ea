import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/common/runtime';
import { sqsConsumer } from '../../../lambdas/common/sqs-consumer';

const record = (id: string, correlationId: string, receiveCount: number): SQSRecord =>
  ({
    messageId: id,
    body: JSON.stringify({ correlationId, dedupKey: id }),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    eventSource: 'aws:sqs',
  }) as unknown as SQSRecord;

describe('a queue consumer', () => {
  it('logs one error line per failed record, with that record own correlation id, the reason, the attempt and what comes next', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(logger, 'error').mockImplementation((message, ...extra) => {
      lines.push({ message, ...Object.assign({}, ...(extra as object[])) });
    });
    const handler = sqsConsumer(async (r) => {
      // The other record of the batch sets its keys on the shared logger while this one fails.
      logger.appendKeys({ correlationId: 'corr-ok' });
      if (r.messageId === 'bad') throw new TypeError('the deal has no company');
    });

    const result = await handler({ Records: [record('ok', 'corr-ok', 1), record('bad', 'corr-bad', 3)] } as SQSEvent, {} as Context);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(lines).toEqual([
      {
        message: 'Record failed',
        messageId: 'bad',
        correlationId: 'corr-bad',
        reason: 'TypeError: the deal has no company',
        attempt: 3,
        next: expect.stringContaining('DLQ'),
      },
    ]);
  });
});
