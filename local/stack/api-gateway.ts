import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { LocalSigner, SignedRequest, Verdict } from '../aws/sigv4-verify';
import { matchPattern } from '../sandboxes/sandbox-kit';

/**
 * API Gateway stand-in: serves the declared routes under `/<stage>/` and hands each request to its
 * function as a REST API Lambda-proxy event, the same shape API Gateway builds. Like API Gateway it
 * refuses bodies over 10 MB itself; smaller limits are the handlers' job.
 */

const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/** A route and the function that serves it. */
export interface LocalRoute {
  readonly method: string;
  /** `webhooks/hubspot/{instance}` */
  readonly path: string;
  readonly invoke: (event: APIGatewayProxyEvent) => Promise<unknown>;
}

/** API Gateway writes path parameters as `{name}`; the sandbox kit's matcher takes `:name`. */
function match(pattern: string, path: string): Record<string, string> | undefined {
  return matchPattern(pattern.replace(/\{(\w+)\}/g, ':$1'), path);
}

/** Starts the stand-in on loopback. */
export async function startApiGateway(options: {
  readonly stage: string;
  readonly routes: readonly LocalRoute[];
  readonly port?: number;
  /** AWS_IAM authorization on every route: the request's SigV4 signature checked before any function runs. */
  readonly authorize?: (request: SignedRequest) => Promise<Verdict>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= API_GATEWAY_MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const reply = (status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
        res.writeHead(status, headers);
        res.end(body);
      };
      if (size > API_GATEWAY_MAX_BODY) return reply(413, '{"message":"Request Too Long"}');
      const url = new URL(req.url ?? '/', 'http://local');
      const [stage, ...rest] = url.pathname.split('/').filter(Boolean);
      const resourcePath = `/${rest.join('/')}`;
      if (stage !== options.stage) return reply(403, '{"message":"Forbidden"}');
      if (!options.authorize && rest.join('/') === 'health' && req.method === 'GET') return reply(200, '{"status":"ok"}');
      const route = options.routes.map((r) => ({ r, params: r.method === req.method ? match(r.path, resourcePath) : undefined })).find((m) => m.params);
      if (route === undefined) return reply(403, '{"message":"Missing Authentication Token"}');

      const body = Buffer.concat(chunks);
      const lowerHeaders = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : String(v ?? '')]));
      const verdict = options.authorize
        ? options.authorize({ method: req.method ?? 'GET', url: req.url ?? '/', headers: lowerHeaders, body })
        : Promise.resolve(undefined);
      void verdict.then((v) => {
        if (v && !v.ok) return reply(v.status, JSON.stringify({ [v.messageKey]: v.message }));
        dispatch(route, body, v?.ok ? v.signer : undefined);
      });
    });

    const dispatch = (route: { r: LocalRoute; params: Record<string, string> | undefined }, body: Buffer, signer: LocalSigner | undefined) => {
      const reply = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      const url = new URL(req.url ?? '/', 'http://local');
      const resourcePath = `/${url.pathname.split('/').filter(Boolean).slice(1).join('/')}`;
      const headers: Record<string, string> = {};
      const multiValueHeaders: Record<string, string[]> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        const value = req.rawHeaders[i + 1]!;
        headers[name] = value;
        (multiValueHeaders[name] ??= []).push(value);
      }
      const query = [...url.searchParams.entries()];
      const isText = /json|text|xml|form/.test(String(req.headers['content-type'] ?? 'application/json'));
      const event: APIGatewayProxyEvent = {
        resource: `/${route.r.path}`,
        path: resourcePath,
        httpMethod: req.method ?? 'GET',
        headers,
        multiValueHeaders,
        queryStringParameters: query.length ? Object.fromEntries(query) : null,
        multiValueQueryStringParameters: query.length ? query.reduce<Record<string, string[]>>((acc, [k, v]) => ((acc[k] ??= []).push(v), acc), {}) : null,
        // API Gateway hands path parameters decoded.
        pathParameters: Object.fromEntries(Object.entries(route.params!).map(([k, v]) => [k, decodeURIComponent(v)])),
        stageVariables: null,
        body: body.length === 0 ? null : isText ? body.toString('utf8') : body.toString('base64'),
        isBase64Encoded: body.length > 0 && !isText,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          authorizer: null,
          protocol: 'HTTP/1.1',
          httpMethod: req.method ?? 'GET',
          identity: {
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: String(req.headers['user-agent'] ?? ''),
            // What API Gateway adds for an IAM-authorized caller.
            ...(signer ? { accessKey: signer.accessKeyId, userArn: signer.userArn, caller: signer.userArn.split('/').pop()!, accountId: '000000000000' } : {}),
          } as APIGatewayProxyEvent['requestContext']['identity'],
          path: url.pathname,
          stage: options.stage,
          requestId: randomUUID(),
          requestTimeEpoch: Date.now(),
          resourceId: 'local',
          resourcePath: `/${route.r.path}`,
        },
      };
      route.r.invoke(event).then(
        (result) => {
          const response = result as APIGatewayProxyResult;
          const out = response.isBase64Encoded ? Buffer.from(response.body, 'base64') : response.body;
          res.writeHead(response.statusCode, Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k, String(v)])));
          res.end(out);
        },
        // A function error is API Gateway's 502, as in AWS.
        () => reply(502, '{"message": "Internal server error"}'),
      );
    };
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${options.stage}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
