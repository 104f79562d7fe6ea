import { type VendorCall, VendorUnavailableError } from '../errors';

/** A vendor's answer, with the body read once. */
export interface VendorResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body as JSON, or undefined when it is empty or not JSON. */
  json<T = unknown>(): T | undefined;
}

/**
 * One HTTP call to a vendor with a timeout. A network failure or timeout becomes
 * VendorUnavailable; every HTTP status is returned for the adapter to map by the vendor's codes.
 */
export async function vendorRequest(
  call: VendorCall,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<VendorResponse> {
  let response: Response;
  try {
    response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new VendorUnavailableError(call, error instanceof Error ? `${error.name}: ${error.message}` : String(error), { cause: error });
  }
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json<T>() {
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    },
  };
}
