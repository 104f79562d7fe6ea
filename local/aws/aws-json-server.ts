import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal server for AWS's JSON protocols (`X-Amz-Target: <prefix>.<Operation>`, JSON in and
 * out, errors as `{ "__type": ..., "message": ... }` with status 400). The SDK v3 clients reach it
 * through `AWS_ENDPOINT_URL_<SERVICE>`, so handlers run their deployed code paths against it.
 */

/** An error the service documents; the SDK turns `__type` into the exception's name. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One service operation: JSON input to JSON output, or an {@link AwsServiceError}. */
export type AwsOperation = (input: Record<string, unknown>) => unknown;

/** A running stand-in. */
export interface AwsJsonServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a stand-in for one service on loopback. */
export async function startAwsJsonServer(options: {
  readonly targetPrefix: string;
  readonly contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1';
  readonly operations: Readonly<Record<string, AwsOperation>>;
  readonly port?: number;
}): Promise<AwsJsonServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': options.contentType });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operationName] = target.split('.');
      const operation = prefix === options.targetPrefix && operationName ? options.operations[operationName] : undefined;
      if (operation === undefined) {
        send(400, { __type: 'UnknownOperationException', message: `The local stand-in does not implement ${target || 'this request'}` });
        return;
      }
      Promise.resolve()
        .then(() => operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>))
        .then(
          (output) => send(200, output ?? {}),
          (error: unknown) =>
            error instanceof AwsServiceError
              ? send(error.status, { __type: error.type, message: error.message })
              : send(500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
