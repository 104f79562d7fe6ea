import { randomUUID } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../sandbox-kit';

/**
 * What every Business Central API response shares: the error document, ETags and `If-Match`, and
 * the clock that stamps `lastModifiedDateTime`.
 * Error codes: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/dynamics-error-codes
 */

/** BC's error document, `{ error: { code, message } }`; like BC's, the message ends with a correlation id. */
export function bcError(status: number, code: string, message: string, headers?: Readonly<Record<string, string>>): SandboxResponse {
  return { status, ...(headers ? { headers } : {}), json: { error: { code, message: `${message}  CorrelationId:  ${randomUUID()}.` } } };
}

/** The 404 of a path or key that names nothing. */
export function notFound(segment: string): SandboxResponse {
  return bcError(404, 'BadRequest_ResourceNotFound', `Resource not found for the segment '${segment}'.`);
}

/** A weak ETag for one version of a record, shaped like BC's (base64 of a quoted version marker). */
export function etag(id: string, version: number): string {
  return `W/"${Buffer.from(`'${version};${id};'`).toString('base64')}"`;
}

/**
 * Optimistic concurrency as BC applies it: a PATCH must carry `If-Match` with the record's current
 * ETag or `*`. None at all is refused with 400 `BadRequest_InvalidToken`; a stale one with 409
 * `Request_EntityChanged`, the status BC documents for a record another user changed (its 412 is
 * for missing required headers). Bound actions check an `If-Match` only when one is sent.
 * https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/web-service-troubleshooting
 */
export function checkIfMatch(request: SandboxRequest, current: string, required = true): SandboxResponse | undefined {
  const header = request.headers['if-match'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) {
    return required
      ? bcError(
          400,
          'BadRequest_InvalidToken',
          'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.',
        )
      : undefined;
  }
  const tags = value.split(',').map((t) => t.trim());
  return tags.includes('*') || tags.includes(current) ? undefined : bcError(409, 'Request_EntityChanged', 'Another user has already changed the record.');
}

/** A clock whose timestamps strictly increase, so every change moves `lastModifiedDateTime`, even within a millisecond. */
export function createClock(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return new Date(last).toISOString();
  };
}

/** Today's date (UTC) as BC writes dates: `YYYY-MM-DD`. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A `YYYY-MM-DD` date moved by whole days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
