import type { DeadLetterMessage, DeadLetterQueueState, MoveTask } from '../lambdas/ops/dead-letter-queues';

/**
 * `npm run ops -- dlq list|peek|redrive`: the ops API's DLQ commands, as bin/ops.ts runs them. Message
 * bodies can hold personal data, so the table leaves them out unless `--bodies` asks for a short preview;
 * `--json` prints them whole, for the operator who pipes them somewhere on purpose.
 */

/** One signed call to the ops API (bin/ops.ts's `call`). */
export type OpsCall = (
  method: 'GET' | 'POST',
  path: string,
  query?: Record<string, string>,
  body?: unknown,
) => Promise<{ status: number; answer: Record<string, unknown> }>;

/** What a dlq command printed and how it ended. */
export interface DlqResult {
  readonly exitCode: number;
  readonly output: string;
}

/** The options of the dlq commands, as bin/ops.ts parsed them. */
export interface DlqOptions {
  readonly json: boolean;
  readonly bodies: boolean;
  readonly max?: string;
  readonly perSecond?: string;
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

function ago(iso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 60_000));
  return minutes < 60 ? `${minutes}m ago` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)}h ago` : `${Math.floor(minutes / 1440)}d ago`;
}

function moveTaskCell(task: MoveTask | null, now: Date): string {
  if (task === null) return '-';
  const progress = `${task.moved}/${task.toMove ?? '?'}`;
  const when = task.startedAt ? `, started ${ago(task.startedAt, now)}` : '';
  return `${task.status} ${progress}${when}${task.failureReason ? `: ${task.failureReason}` : ''}`;
}

/** The DLQs as a person reads them: the ones holding messages first. */
export function formatDeadLetterQueues(queues: readonly DeadLetterQueueState[], now: Date): string {
  const rows = queues.map((q) => [
    q.deadLetterQueue,
    q.inFlight > 0 ? `${q.messages} (+${q.inFlight} in flight)` : String(q.messages),
    q.queue,
    moveTaskCell(q.moveTask, now),
  ]);
  const waiting = queues.reduce((n, q) => n + q.messages, 0);
  const holding = queues.filter((q) => q.messages > 0).length;
  const summary =
    waiting === 0 ? 'Every DLQ is empty.' : `${waiting} message(s) in ${holding} DLQ(s): dlq peek <source> shows them, dlq redrive <source> moves them back.`;
  return `${table(['QUEUE', 'MESSAGES', 'SOURCE', 'MOVE TASK'], rows)}\n\n${summary}`;
}

/** A body as one short line. */
function preview(body: string, length = 60): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

/** A peek as a table: ids, receive counts and first receive times; a body preview only when asked for. */
export function formatPeek(queue: string, messages: readonly DeadLetterMessage[], bodies: boolean): string {
  if (messages.length === 0) return `${queue}'s DLQ shows no message.`;
  const header = ['MESSAGE ID', 'RECEIVES', 'FIRST RECEIVED', ...(bodies ? ['BODY'] : [])];
  const rows = messages.map((m) => [m.messageId, String(m.receiveCount), m.firstReceivedAt ?? '-', ...(bodies ? [preview(m.body)] : [])]);
  const note = bodies
    ? 'The messages stay in the DLQ; this peek counted as one more receive of each.'
    : 'The messages stay in the DLQ; this peek counted as one more receive of each. Bodies are left out (they may hold personal data): --bodies shows a preview, --json prints them whole.';
  return `${table(header, rows)}\n\n${note}`;
}

/** Runs `dlq <verb> [<queue>]`; `refused` prints a non-200 answer as the other commands do. */
export async function runDlqCommand(
  verb: string | undefined,
  queue: string | undefined,
  options: DlqOptions,
  call: OpsCall,
  refused: (status: number, answer: Record<string, unknown>) => DlqResult,
  usage: string,
  now: () => Date,
): Promise<DlqResult> {
  switch (verb) {
    case 'list': {
      const { status, answer } = await call('GET', 'ops/dlqs');
      if (status !== 200) return refused(status, answer);
      const queues = answer.deadLetterQueues as DeadLetterQueueState[];
      return { exitCode: 0, output: options.json ? JSON.stringify(queues, null, 2) : formatDeadLetterQueues(queues, now()) };
    }
    case 'peek': {
      if (!queue) return { exitCode: 2, output: usage };
      const { status, answer } = await call('GET', `ops/dlqs/${encodeURIComponent(queue)}/messages`, options.max === undefined ? {} : { max: options.max });
      if (status !== 200) return refused(status, answer);
      const messages = answer.messages as DeadLetterMessage[];
      return { exitCode: 0, output: options.json ? JSON.stringify(answer, null, 2) : formatPeek(queue, messages, options.bodies) };
    }
    case 'redrive': {
      if (!queue) return { exitCode: 2, output: usage };
      const body = options.perSecond === undefined ? {} : { maxPerSecond: Number(options.perSecond) };
      const { status, answer } = await call('POST', `ops/dlqs/${encodeURIComponent(queue)}/redrive`, {}, body);
      if (status !== 200) return refused(status, answer);
      const redrive = answer.redrive as { toMove: number; maxPerSecond: number | null };
      return {
        exitCode: 0,
        output: options.json
          ? JSON.stringify(answer, null, 2)
          : `${queue}: redriving about ${redrive.toMove} message(s) from its DLQ back to the queue${redrive.maxPerSecond ? `, ${redrive.maxPerSecond} a second` : ''}; dlq list shows the move task.`,
      };
    }
    default:
      return { exitCode: 2, output: usage };
  }
}
