/** An answer as API Gateway takes it. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A refusal as an RFC 9457 problem document (`application/problem+json`), carrying the correlation id
 * in a header and in the body, so whoever sent the request can quote it to an operator.
 */
export function problemAnswer(status: number, title: string, detail: string, correlationId: string, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId, ...headers },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, correlationId }),
  };
}
