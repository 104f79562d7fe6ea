/**
 * The errors vendor adapters throw. Their `name` is what Step Functions matches in Retry and Catch
 * (Lambda reports a thrown error's name as its errorType), so retry policy lives in the state
 * machine files, once, and adapters never retry throttling or outages themselves.
 */

/** Which vendor call failed, for exception reasons and metrics; never the payload. */
export interface VendorCall {
  readonly vendor: string;
  readonly instance: string;
  readonly operation: string;
}

/** The vendor throttled us (HTTP 429, concurrency limit): retry later with backoff and jitter. */
export class VendorThrottledError extends Error {
  override readonly name = 'VendorThrottled';
  constructor(
    readonly call: VendorCall,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${call.vendor} (${call.instance}) throttled ${call.operation}${retryAfterSeconds === undefined ? '' : `; retry after ${retryAfterSeconds}s`}`);
  }
}

/** The vendor is failing (5xx, timeout, connection refused): retry, then record an exception. */
export class VendorUnavailableError extends Error {
  override readonly name = 'VendorUnavailable';
  constructor(
    readonly call: VendorCall,
    readonly detail: string,
  ) {
    super(`${call.vendor} (${call.instance}) unavailable during ${call.operation}: ${detail}`);
  }
}

/** The vendor refused the request on its merits (4xx with an error code): retrying cannot help. */
export class VendorRejectedError extends Error {
  override readonly name = 'VendorRejected';
  constructor(
    readonly call: VendorCall,
    readonly status: number,
    /** The vendor's error code (never its message text, which changes with locale and release). */
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${call.vendor} (${call.instance}) rejected ${call.operation} with ${status} ${code}: ${detail}`);
  }
}

/** Credentials were refused even after a token refresh: a person must fix the secret. */
export class VendorAuthenticationError extends Error {
  override readonly name = 'VendorAuthenticationFailed';
  constructor(readonly call: VendorCall) {
    super(`${call.vendor} (${call.instance}) refused our credentials for ${call.operation} after a token refresh; check secret and app permissions`);
  }
}

/** Errors that a retry may cure. */
export function isRetryable(error: unknown): boolean {
  return error instanceof VendorThrottledError || error instanceof VendorUnavailableError;
}
