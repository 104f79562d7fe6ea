import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { problemAnswer } from './problem';

/**
 * The size of a request body in bytes as the vendor sent it. API Gateway hands binary bodies over
 * base64-encoded, so their length is computed from the encoding rather than by decoding them.
 */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): number {
  const body = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

/**
 * Refuses a body over the configured limit with 413 before anything parses it. API Gateway's own
 * 10 MB limit cannot be lowered, so each webhook handler calls this first.
 * @returns the 413 response to send, or `undefined` when the body is within the limit.
 */
export function refuseOversizedBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>,
  maxBodyBytes: number,
  correlationId?: string,
): APIGatewayProxyResult | undefined {
  const size = bodyBytes(event);
  if (size <= maxBodyBytes) return undefined;
  const detail = `The request body is ${size} bytes; this endpoint accepts at most ${maxBodyBytes}.`;
  if (correlationId !== undefined) return problemAnswer(413, 'Payload Too Large', detail, correlationId);
  return {
    statusCode: 413,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title: 'Payload Too Large', status: 413, detail }),
  };
}
