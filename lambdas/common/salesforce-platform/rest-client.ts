import { type AuditTrail, auditResult } from '../audit-trail';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../errors';
import { sendWithOneRefresh } from '../http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../http/vendor-http';
import { type ApiAllocation, mayCall, parseLimitInfo } from './api-allocation';
import type { SalesforceSession } from './oauth';

/** A SOQL string literal: quotes and backslashes escaped, so a value can never end the literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Options of {@link SalesforceRestClient}. */
export interface SalesforceRestOptions {
  readonly instance: string;
  /** How long one API call may take before the adapter gives up and the state machine retries. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** The vendor errors and audit entries name: a Certinia org is a Salesforce org with the managed package. @default salesforce */
  readonly vendor?: 'salesforce' | 'certinia';
  /** The org's instance URL, e.g. https://acme.my.salesforce.com. @default the session's `instance_url` */
  readonly baseUrl?: string;
  /** @default v64.0 */
  readonly apiVersion?: string;
  /** The container's session (see `salesforceSessions`). */
  readonly session: () => Promise<SalesforceSession>;
  /** A new session, after the org answered INVALID_SESSION_ID. */
  readonly refreshSession: () => Promise<SalesforceSession>;
  /** Sent as `Sforce-Call-Options: client=<id>` so our writes come back marked in `changeOrigin`. */
  readonly clientId: string;
  /** Which share of the org's daily API allocation the caller may use. @default other */
  readonly flow?: 'billing' | 'other';
  /** Where writes are recorded; the change intake also reads it to recognise our own writes coming back. @default - writes are not recorded */
  readonly audit?: AuditTrail;
  /** @default none */
  readonly execution?: string;
  /** @default none */
  readonly correlationId?: string;
}

/**
 * The org's API usage as the last response of any client in this container reported it, per org URL.
 * Clients are made per step and per relayed record; the allocation is the org's, so it outlives them.
 */
const lastAllocation = new Map<string, ApiAllocation>();

/** Error codes a retry can cure; every other code is the data's fault. */
const RETRYABLE = new Set(['UNABLE_TO_LOCK_ROW', 'ENTITY_IS_LOCKED', 'SERVER_UNAVAILABLE']);

/**
 * Salesforce's REST API as every Salesforce-platform adapter uses it (the Salesforce CRM, and Certinia,
 * whose org is a Salesforce org with the managed package). Every call carries our client id; the daily
 * allocation in `Sforce-Limit-Info` is tracked, and calls stop short of it (master data at 80 %,
 * billing at 95 %) rather than failing at REQUEST_LIMIT_EXCEEDED. Errors are arrays matched by
 * `errorCode`.
 */
export class SalesforceRestClient {
  /** The org's URL as the last session reported it, when the configuration gives none. */
  private instanceUrl: string | undefined;

  constructor(private readonly options: SalesforceRestOptions) {}

  /** The vendor call an operation names, for errors and metrics. */
  call(operation: string): VendorCall {
    return { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation };
  }

  /** GETs a resource below `/services/data/<version>`; anything but 200 is thrown as a vendor error. */
  async get<T>(operation: string, path: string): Promise<T> {
    const call = this.call(operation);
    const response = await this.send(call, 'GET', path);
    if (response.status !== 200) throw this.errorFor(call, response);
    return response.json<T>() as T;
  }

  /** GETs a record that may not exist: undefined for Salesforce's 404 NOT_FOUND, a vendor error otherwise. */
  async find<T>(operation: string, path: string): Promise<T | undefined> {
    const call = this.call(operation);
    const response = await this.send(call, 'GET', path);
    if (response.status === 404 && response.json<{ errorCode?: string }[]>()?.[0]?.errorCode === 'NOT_FOUND') return undefined;
    if (response.status !== 200) throw this.errorFor(call, response);
    return response.json<T>() as T;
  }

  /** Runs a SOQL query and follows `nextRecordsUrl` to the last page. */
  async query<T>(operation: string, soql: string): Promise<T[]> {
    const call = this.call(operation);
    const records: T[] = [];
    let path: string | undefined = `/query?q=${encodeURIComponent(soql)}`;
    while (path !== undefined) {
      const response = await this.send(call, 'GET', path);
      if (response.status !== 200) throw this.errorFor(call, response);
      const page = response.json<{ records: T[]; nextRecordsUrl?: string }>();
      records.push(...(page?.records ?? []));
      // nextRecordsUrl is absolute from the host: /services/data/vXX.X/query/<locator>
      path = page?.nextRecordsUrl?.replace(/^\/services\/data\/v[\d.]+/, '');
    }
    return records;
  }

  /** Records a write in the audit trail; `code` is a collection item's own error code. */
  async audit(
    record: { recordType: string; recordKey: string; operation: string },
    payload: unknown,
    response: VendorResponse,
    ok: boolean,
    code?: string,
  ): Promise<void> {
    await this.options.audit?.record({
      vendor: this.options.vendor ?? 'salesforce',
      instance: this.options.instance,
      ...record,
      execution: this.options.execution ?? 'none',
      correlationId: this.options.correlationId ?? 'none',
      payload,
      result: auditResult(response.status, ok),
      status: code ?? String(response.status),
      at: new Date(),
    });
  }

  /** Sends one request under the allocation check, with a new session once after INVALID_SESSION_ID. */
  async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    const known = this.options.baseUrl ?? this.instanceUrl;
    const decision = mayCall(known === undefined ? undefined : lastAllocation.get(known), this.options.flow ?? 'other');
    if (!decision.proceed) throw new VendorThrottledError({ ...call, operation: `${call.operation}: ${decision.reason}` });
    let base = known ?? '';
    const response = await sendWithOneRefresh(call, { current: this.options.session, refreshed: this.options.refreshSession }, (session) => {
      base = this.options.baseUrl ?? session.instanceUrl;
      this.instanceUrl = session.instanceUrl;
      return vendorRequest(call, `${base}/services/data/${this.options.apiVersion ?? 'v64.0'}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          'content-type': 'application/json',
          'Sforce-Call-Options': `client=${this.options.clientId}`,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.options.requestTimeoutMs ?? 30_000,
      });
    });
    const allocation = parseLimitInfo(response.headers.get('sforce-limit-info'));
    if (allocation) lastAllocation.set(base, allocation);
    return response;
  }

  /** Salesforce errors are an array of `{ message, errorCode, fields }`; the code decides. */
  errorFor(call: VendorCall, response: VendorResponse): Error {
    const code = response.json<{ errorCode?: string; message?: string }[]>()?.[0]?.errorCode ?? `HTTP_${response.status}`;
    if (code === 'REQUEST_LIMIT_EXCEEDED' || response.status === 429) return new VendorThrottledError(call);
    if (response.status >= 500 || RETRYABLE.has(code)) return new VendorUnavailableError(call, `HTTP ${response.status} ${code}`);
    return new VendorRejectedError(call, response.status, code, response.json<{ message?: string }[]>()?.[0]?.message ?? 'no detail');
  }
}
