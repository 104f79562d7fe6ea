import path from 'node:path';
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { apiHandler } from '../../../lambdas/common/api-handler';
import type { sqsConsumer } from '../../../lambdas/common/sqs-consumer';

// POWERTOOLS_LOGGER_LOG_EVENT is read once, when the module logger of lambdas/common/runtime.ts is made (at a
// cold start): each case loads the wrappers afresh under the variable it sets, as a new container would.

const COMMON = path.resolve(__dirname, '../../../lambdas/common');

type Wrappers = { sqsConsumer: typeof sqsConsumer; apiHandler: typeof apiHandler };

/** The wrappers as a function whose environment sets POWERTOOLS_LOGGER_LOG_EVENT to `value` (unset: `undefined`) loads them. */
async function wrappersWith(value: string | undefined): Promise<Wrappers> {
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', value);
  try {
    const consumer = (await import(path.join(COMMON, 'sqs-consumer'))) as Pick<Wrappers, 'sqsConsumer'>;
    const api = (await import(path.join(COMMON, 'api-handler'))) as Pick<Wrappers, 'apiHandler'>;
    return { sqsConsumer: consumer.sqsConsumer, apiHandler: api.apiHandler };
  } finally {
    vi.unstubAllEnvs();
  }
}

afterEach(() => {
  // The next test file loads its own modules, not the ones made under this file's variable.
  vi.resetModules();
});

/** The JSON lines the loggers print (Powertools writes through process.stdout and process.stderr). */
function captureLogLines(): { raw: string; parsed: Record<string, unknown> }[] {
  const lines: { raw: string; parsed: Record<string, unknown> }[] = [];
  const capture = (chunk: unknown) => {
    for (const text of String(chunk).split('\n')) {
      if (text.trim().startsWith('{')) lines.push({ raw: text, parsed: JSON.parse(text) as Record<string, unknown> });
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return lines;
}

const EVENT_MESSAGE = 'Lambda invocation event';
const PERSONAL = [
  'Quillfeather Orchards',
  'Quillfeather orchard replanting',
  'Ada Byron',
  'ada@quillfeather.example',
  '17 Marrowbone Close',
  'Zanzibar Heights',
];

/** A canonical event as a queue delivers it: the EventBridge envelope in the record's body, JSON in a string. */
const record: SQSRecord = {
  messageId: 'm-1',
  receiptHandle: 'rh-1',
  body: JSON.stringify({
    'detail-type': 'opportunity.won',
    detail: {
      correlationId: 'corr-1',
      payload: {
        deal: { id: '9001', dealname: 'Quillfeather orchard replanting', amount: '125000' },
        customer: {
          name: 'Quillfeather Orchards',
          billingAddress: { street: '17 Marrowbone Close', city: 'Zanzibar Heights' },
          contact: { fullName: 'Ada Byron', email: 'ada@quillfeather.example' },
        },
      },
    },
  }),
  attributes: { ApproximateReceiveCount: '1' },
  messageAttributes: {},
  eventSource: 'aws:sqs',
} as unknown as SQSRecord;
const batch: SQSEvent = { Records: [record] };

/** A Business Central notification through the API: a SigV4-signed header set, and the shared secret in the body. */
const request = {
  httpMethod: 'POST',
  resource: '/webhooks/business-central/{instance}',
  path: '/webhooks/business-central/business-central-uk',
  headers: {
    'content-type': 'application/json',
    Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-east-1/execute-api/aws4_request, Signature=abc123',
    'X-Amz-Security-Token': 'session-token-secret',
  },
  multiValueHeaders: { Authorization: ['AWS4-HMAC-SHA256 Signature=abc123'] },
  pathParameters: { instance: 'business-central-uk' },
  body: JSON.stringify({
    value: [
      { subscriptionId: 's-1', clientState: 'bc-shared-secret', resource: 'salesInvoices(1)', changeType: 'updated', contact: 'ada@quillfeather.example' },
    ],
  }),
  requestContext: { requestId: 'req-1' },
} as unknown as APIGatewayProxyEvent;
const SECRETS = ['abc123', 'session-token-secret', 'bc-shared-secret', 'ada@quillfeather.example'];

describe('a queue consumer with POWERTOOLS_LOGGER_LOG_EVENT', () => {
  it('logs the batch once, first, at INFO, with personal data masked inside the record bodies, when it is true', async () => {
    const { sqsConsumer } = await wrappersWith('true');
    const lines = captureLogLines();
    const handled: string[] = [];
    const handler = sqsConsumer(async (r, _context, log) => {
      handled.push(r.messageId);
      log.info('Record handled');
    });

    expect(await handler(batch, {} as Context)).toEqual({ batchItemFailures: [] });

    expect(handled).toEqual(['m-1']);
    expect(lines.map((l) => l.parsed.message)).toEqual([EVENT_MESSAGE, 'Record handled']);
    const [event] = lines;
    expect(event!.parsed.level).toBe('INFO');
    // The event as the consumer got it, its record's body masked inside and still JSON in a string.
    const logged = event!.parsed.event as SQSEvent;
    expect(logged.Records.map((r) => r.messageId)).toEqual(['m-1']);
    expect(JSON.parse(logged.Records[0]!.body)).toEqual({
      'detail-type': 'opportunity.won',
      detail: {
        correlationId: 'corr-1',
        payload: {
          deal: { id: '9001', dealname: '***', amount: '125000' },
          customer: { name: '***', billingAddress: '***', contact: { fullName: '***', email: '***' } },
        },
      },
    });
    for (const secret of PERSONAL) expect(event!.raw, secret).not.toContain(secret);
    // What was masked was only the line: the handler got the record whole.
    expect(record.body).toContain('Quillfeather Orchards');
  });

  it.each([
    ['false', 'false'],
    ['unset', undefined],
  ])('logs no event when it is %s (the default), and handles the batch alike', async (_case, value) => {
    const { sqsConsumer } = await wrappersWith(value);
    const lines = captureLogLines();
    const handler = sqsConsumer(async (_r, _context, log) => log.info('Record handled'));

    expect(await handler(batch, {} as Context)).toEqual({ batchItemFailures: [] });

    expect(lines.map((l) => l.parsed.message)).toEqual(['Record handled']);
  });
});

describe('an API handler with POWERTOOLS_LOGGER_LOG_EVENT', () => {
  const answer = { statusCode: 200, body: '' };

  it('logs the request first when it is true, with credentials and personal data masked in headers and body', async () => {
    const { apiHandler } = await wrappersWith('true');
    const lines = captureLogLines();
    const handler = apiHandler(async () => answer);

    expect(await handler(request, {} as Context)).toBe(answer);

    expect(lines.map((l) => l.parsed.message)).toEqual([EVENT_MESSAGE]);
    const logged = lines[0]!.parsed.event as APIGatewayProxyEvent;
    expect(logged.path).toBe(request.path);
    expect(logged.headers).toEqual({ 'content-type': 'application/json', Authorization: '***', 'X-Amz-Security-Token': '***' });
    expect(logged.multiValueHeaders).toEqual({ Authorization: '***' });
    expect(JSON.parse(logged.body!)).toEqual({
      value: [{ subscriptionId: 's-1', clientState: '***', resource: 'salesInvoices(1)', changeType: 'updated', contact: '***@***' }],
    });
    for (const secret of SECRETS) expect(lines[0]!.raw, secret).not.toContain(secret);
  });

  it.each([
    ['false', 'false'],
    ['unset', undefined],
  ])('logs no request when it is %s (the default)', async (_case, value) => {
    const { apiHandler } = await wrappersWith(value);
    const lines = captureLogLines();

    expect(await apiHandler(async () => answer)(request, {} as Context)).toBe(answer);

    expect(lines).toEqual([]);
  });
});
