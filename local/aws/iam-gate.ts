import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IamEvaluator, IamRequest } from './iam-evaluator';
import { s3IamRequestsOf, sendS3Error } from './s3';
import { messageMoveIamRequests } from './sqs-message-moves';

/**
 * A gate in front of a local AWS service (dynalite, local-aws-sqs, the stand-ins in local/aws): it
 * reads who signed each request (the access key id of the SigV4 credential scope), works out the IAM
 * actions and resource ARNs the request needs, as the service's authorization reference lists them,
 * asks the {@link IamEvaluator}, and either forwards the request untouched or answers as AWS does
 * when it refuses: `AccessDeniedException` with AWS's message, or an invalid security token.
 */

/** The services functions call, by their JSON protocol, and S3 by its REST protocol (local/aws/s3.ts). */
export type GatedService = 'dynamodb' | 'sqs' | 'events' | 'states' | 'secretsmanager' | 's3';

/** Options of {@link startIamGate}. */
export interface IamGateOptions {
  readonly service: GatedService;
  /** The service behind the gate, `http://127.0.0.1:PORT`. */
  readonly target: string;
  readonly region: string;
  readonly account: string;
  readonly evaluator: IamEvaluator;
  /** Secrets Manager authorizes against the secret's full ARN, whatever `SecretId` names. */
  readonly secretArn?: (secretId: string) => string;
  /** SQS: the queues whose redrive policy targets a DLQ, by the DLQ's ARN (where a redrive without a destination sends). */
  readonly deadLetterSources?: (deadLetterQueueArn: string) => readonly string[];
}

/** A running gate. */
export interface IamGate {
  readonly url: string;
  /** Refusals so far, newest last, for the one log line an operator would read in CloudTrail. */
  readonly refusals: readonly { readonly principal: string; readonly message: string }[];
  close(): Promise<void>;
}

const CONTENT_TYPE: Record<GatedService, string> = {
  dynamodb: 'application/x-amz-json-1.0',
  sqs: 'application/x-amz-json-1.0',
  events: 'application/x-amz-json-1.1',
  states: 'application/x-amz-json-1.0',
  secretsmanager: 'application/x-amz-json-1.1',
  s3: 'application/xml',
};

/** The access key id of a SigV4 `Authorization` header (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyIdOf(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

/** The IAM requests one service call needs, from its X-Amz-Target operation and JSON body. */
export function iamRequestsOf(
  service: GatedService,
  operation: string,
  body: Record<string, unknown>,
  { region, account, secretArn, deadLetterSources }: Pick<IamGateOptions, 'region' | 'account' | 'secretArn' | 'deadLetterSources'>,
): IamRequest[] {
  switch (service) {
    case 'dynamodb': {
      const table = (name: unknown) => (String(name).startsWith('arn:') ? String(name) : `arn:aws:dynamodb:${region}:${account}:table/${String(name)}`);
      const on = (action: string, resource: string) => ({ action: `dynamodb:${action}`, resource });
      switch (operation) {
        case 'BatchGetItem':
        case 'BatchWriteItem':
          return Object.keys((body.RequestItems ?? {}) as object).map((t) => on(operation, table(t)));
        case 'TransactWriteItems':
        case 'TransactGetItems': {
          const actions: Record<string, string> = {
            Put: 'PutItem',
            Update: 'UpdateItem',
            Delete: 'DeleteItem',
            ConditionCheck: 'ConditionCheckItem',
            Get: 'GetItem',
          };
          return ((body.TransactItems ?? []) as Record<string, { TableName: string }>[]).map((item) => {
            const [kind, detail] = Object.entries(item)[0]!;
            return on(actions[kind] ?? kind, table(detail.TableName));
          });
        }
        case 'Query':
        case 'Scan':
          return [on(operation, body.IndexName ? `${table(body.TableName)}/index/${String(body.IndexName)}` : table(body.TableName))];
        default:
          return [on(operation, table(body.TableName))];
      }
    }
    case 'sqs': {
      // Redrives name their queues by ARN and need more than their own action (sqs-message-moves.ts).
      const moves = messageMoveIamRequests(operation, body, deadLetterSources ?? (() => []));
      if (moves !== undefined) return moves;
      const name = body.QueueUrl === undefined ? String(body.QueueName) : String(body.QueueUrl).split('/').pop()!;
      // The batch calls are authorized as their single forms (SQS's authorization reference lists no batch actions).
      const action = operation.replace(/Batch$/, '');
      return [{ action: `sqs:${action}`, resource: `arn:aws:sqs:${region}:${account}:${name}` }];
    }
    case 'events': {
      if (operation !== 'PutEvents') return [{ action: `events:${operation}`, resource: `arn:aws:events:${region}:${account}:event-bus/default` }];
      const buses = new Set(((body.Entries ?? []) as { EventBusName?: string }[]).map((e) => e.EventBusName ?? 'default'));
      return [...buses].map((bus) => ({
        action: 'events:PutEvents',
        resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${region}:${account}:event-bus/${bus}`,
      }));
    }
    case 'states': {
      const resource = String(body.executionArn ?? body.stateMachineArn ?? body.mapRunArn ?? '');
      return [{ action: `states:${operation}`, resource }];
    }
    case 'secretsmanager': {
      const id = String(body.SecretId ?? '');
      return [{ action: `secretsmanager:${operation}`, resource: secretArn?.(id) ?? id }];
    }
    case 's3':
      throw new Error('S3 is a REST protocol: its requests are read by s3IamRequestsOf (local/aws/s3.ts)');
  }
}

/** Starts a gate on loopback in front of `target`. */
export async function startIamGate(options: IamGateOptions): Promise<IamGate> {
  const target = new URL(options.target);
  const refusals: { principal: string; message: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const refuse = (type: string, message: string, status = 400) => {
        // S3 answers in XML, 403 with its own codes: AccessDenied, InvalidAccessKeyId.
        if (options.service === 's3') {
          const code = { AccessDeniedException: 'AccessDenied', UnrecognizedClientException: 'InvalidAccessKeyId' }[type] ?? type;
          sendS3Error(res, req.method, status === 500 ? 500 : 403, code, message);
          return;
        }
        const headers: Record<string, string> = { 'content-type': CONTENT_TYPE[options.service] };
        // SQS's JSON protocol also names the query-protocol error code, which the SDK reports.
        if (options.service === 'sqs') headers['x-amzn-query-error'] = `${type === 'AccessDeniedException' ? 'AccessDenied' : type};Sender`;
        res.writeHead(status, headers);
        res.end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message, Message: message }));
      };
      const forward = () => {
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          res.destroy(error);
        });
        upstream.end(body);
      };
      const principal = options.evaluator.principalOf(accessKeyIdOf(req.headers) ?? '');
      if (principal === undefined) {
        refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');
        return;
      }
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let requests: IamRequest[];
      try {
        requests =
          options.service === 's3'
            ? s3IamRequestsOf(req.method ?? 'GET', req.url ?? '/', req.headers)
            : iamRequestsOf(options.service, operation, JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>, options);
      } catch {
        refuse('SerializationException', 'The request body is not valid JSON.');
        return;
      }
      options.evaluator.decide(principal, requests).then(
        (decision) => {
          if (decision.allowed) forward();
          else {
            refusals.push({ principal: principal.arn, message: decision.message });
            refuse('AccessDeniedException', decision.message);
          }
        },
        (error: unknown) => refuse('InternalFailure', error instanceof Error ? error.message : String(error), 500),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refusals,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
