import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { sqsConsumer } from '../../../lambdas/common/sqs-consumer';

const record = (id: string, body: object, receiveCount = 1): SQSRecord =>
  ({
    messageId: id,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    eventSource: 'aws:sqs',
  }) as unknown as SQSRecord;

/** The JSON lines the loggers print (Powertools writes through process.stdout and process.stderr). */
function captureLogLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const capture = (chunk: unknown) => {
    for (const text of String(chunk).split('\n')) {
      if (text.trim().startsWith('{')) lines.push(JSON.parse(text) as Record<string, unknown>);
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return lines;
}

describe('a queue consumer processing a batch in parallel', () => {
  it('logs every line of a record with that record own correlation id, however the records interleave', async () => {
    const lines = captureLogLines();
    const order: string[] = [];
    // Each record sets the correlation id it derives, then waits; the later records wait less, so the
    // lines of the records interleave and each record logs after the others have set theirs.
    const handler = sqsConsumer(async (r, _context, log) => {
      const own = `derived-${r.messageId}`;
      log.appendKeys({ correlationId: own });
      const wait = 5 * (5 - Number(r.messageId.slice(1)));
      await sleep(wait);
      order.push(r.messageId);
      log.info('Step one', { own });
      await sleep(wait);
      log.info('Step two', { own });
    });
    const records = [0, 1, 2, 3, 4].map((i) => record(`m${i}`, { correlationId: `queued-m${i}` }));

    const result = await handler({ Records: records } as SQSEvent, {} as Context);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(order, 'the records ran at once, the last started first done').toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line, `${String(line.message)} of ${String(line.messageId)}`).toMatchObject({ correlationId: line.own });
    expect(new Set(lines.map((l) => l.correlationId))).toEqual(new Set(records.map((r) => `derived-${r.messageId}`)));
  });

  it('logs exactly one error line per failed record, with its own correlation id, the reason, the attempt and what comes next', async () => {
    const lines = captureLogLines();
    const handler = sqsConsumer(async (r, _context, log) => {
      // A record whose body carries no correlation id derives one, as a poll or a relayed event does.
      if (r.messageId === 'derives') log.appendKeys({ correlationId: 'derived-corr' });
      await sleep(r.messageId === 'ok' ? 1 : 10);
      if (r.messageId === 'ok') log.appendKeys({ correlationId: 'ok-second-id' });
      if (r.messageId !== 'ok') throw new TypeError(`the deal of ${r.messageId} has no company`);
    });

    const result = await handler(
      {
        Records: [
          record('ok', { correlationId: 'corr-ok' }),
          record('bad', { correlationId: 'corr-bad' }, 3),
          record('event', { detail: { correlationId: 'corr-event' } }, 2),
          record('derives', { instance: 'kantata-main' }),
          record('unreadable', {}),
        ],
      } as SQSEvent,
      {} as Context,
    );

    expect(result).toEqual({
      batchItemFailures: ['bad', 'event', 'derives', 'unreadable'].map((itemIdentifier) => ({ itemIdentifier })),
    });
    const failed = lines.filter((l) => l.message === 'Record failed');
    expect(lines).toHaveLength(failed.length);
    expect(failed.map(({ level, messageId, correlationId, reason, attempt, next }) => ({ level, messageId, correlationId, reason, attempt, next }))).toEqual([
      {
        level: 'ERROR',
        messageId: 'bad',
        correlationId: 'corr-bad',
        reason: 'TypeError: the deal of bad has no company',
        attempt: 3,
        next: expect.stringContaining('DLQ'),
      },
      {
        level: 'ERROR',
        messageId: 'event',
        correlationId: 'corr-event',
        reason: 'TypeError: the deal of event has no company',
        attempt: 2,
        next: expect.stringContaining('DLQ'),
      },
      {
        level: 'ERROR',
        messageId: 'derives',
        correlationId: 'derived-corr',
        reason: 'TypeError: the deal of derives has no company',
        attempt: 1,
        next: expect.stringContaining('DLQ'),
      },
      {
        level: 'ERROR',
        messageId: 'unreadable',
        correlationId: 'none',
        reason: 'TypeError: the deal of unreadable has no company',
        attempt: 1,
        next: expect.stringContaining('DLQ'),
      },
    ]);
  });
});
