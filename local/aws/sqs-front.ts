import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A front for local-aws-sqs that makes `ReceiveMessage` answer as SQS does where local-aws-sqs does
 * not; every other call passes through untouched (its message move tasks included, see
 * sqs-message-moves.ts). It sits between the IAM gate and local-aws-sqs, so what the functions call
 * behaves as in AWS:
 *
 * - `MessageSystemAttributeNames`, the current name of the parameter, is read as the older
 *   `AttributeNames`, the only one local-aws-sqs reads (an SDK that sends the current name would
 *   otherwise get no receive count).
 * - A receive with a zero visibility timeout (a peek: the messages stay where they are) returns each
 *   message once. local-aws-sqs keeps polling until the call's wait ends and, the messages being visible
 *   again at once, hands the same ones out again within the one call, each time counting a receive; SQS
 *   never returns a message twice in one receive. The front asks for no more than the visible messages,
 *   so local-aws-sqs's first pass ends the call, and drops any repeat that still comes back.
 */

/** A running front. */
export interface SqsFront {
  readonly url: string;
  close(): Promise<void>;
}

const JSON_1_0 = 'application/x-amz-json-1.0';

/** Starts a front on loopback for the local-aws-sqs at `target`. */
export async function startSqsFront(options: { readonly target: string }): Promise<SqsFront> {
  const target = new URL(options.target);
  /** One call upstream, answered whole. */
  const upstream = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const call = httpRequest({ host: target.hostname, port: target.port, method, path, headers: { ...headers, host: target.host } }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: Buffer.concat(chunks) }));
        answer.on('error', reject);
      });
      call.on('error', reject);
      call.end(body);
    });
  /** The visible messages of a queue; local-aws-sqs's ApproximateNumberOfMessages also counts the invisible ones. */
  const visibleIn = async (queueUrl: unknown): Promise<number | undefined> => {
    const body = Buffer.from(JSON.stringify({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    const answer = await upstream(
      'POST',
      '/',
      { 'content-type': JSON_1_0, 'content-length': String(body.length), 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
      body,
    );
    if (answer.status !== 200) return undefined;
    const { Attributes } = JSON.parse(answer.body.toString('utf8')) as { Attributes?: Record<string, string> };
    return Math.max(0, Number(Attributes?.ApproximateNumberOfMessages ?? 0) - Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const pass = (headers: IncomingHttpHeaders, body: Buffer) =>
        upstream(req.method ?? 'POST', req.url ?? '/', headers, body).then((answer) => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
        });
      const fail = (error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error)));
      let receive: Record<string, unknown> | undefined;
      if (req.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage') {
        try {
          receive = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          receive = undefined;
        }
      }
      if (receive === undefined) {
        pass(req.headers, raw).catch(fail);
        return;
      }
      const request = { ...receive };
      if (Array.isArray(request.MessageSystemAttributeNames))
        request.AttributeNames = [
          ...new Set([...((request.AttributeNames as string[] | undefined) ?? []), ...(request.MessageSystemAttributeNames as string[])]),
        ];
      const peek = request.VisibilityTimeout === 0;
      (async () => {
        if (peek) {
          const visible = await visibleIn(request.QueueUrl);
          const asked = typeof request.MaxNumberOfMessages === 'number' ? request.MaxNumberOfMessages : 1;
          if (visible !== undefined && visible > 0) request.MaxNumberOfMessages = Math.min(asked, visible);
        }
        const body = Buffer.from(JSON.stringify(request));
        const headers: IncomingHttpHeaders = { ...req.headers, 'content-length': String(body.length) };
        const answer = await upstream(req.method ?? 'POST', req.url ?? '/', headers, body);
        let out = answer.body;
        if (peek && answer.status === 200 && out.length > 0) {
          const parsed = JSON.parse(out.toString('utf8')) as { Messages?: { MessageId: string }[] };
          // The last copy of a repeat: its receipt handle is the current one.
          const once = new Map((parsed.Messages ?? []).map((m) => [m.MessageId, m]));
          out = Buffer.from(JSON.stringify({ ...parsed, ...(parsed.Messages ? { Messages: [...once.values()] } : {}) }));
        }
        const { 'content-length': _length, 'x-amz-crc32': _crc, ...rest } = answer.headers;
        res.writeHead(answer.status, { ...rest, 'content-length': String(out.length) });
        res.end(out);
      })().catch(fail);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
