import type { CrmFieldNames } from '../../canonical';
import type { CrmPort, CrmWriteBack } from '../opportunity-to-project/ports';
import { sendWithOneRefresh } from '../shared/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../shared/http/vendor-http';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../shared/vendor-errors';
import { type ApiAllocation, mayCall, parseLimitInfo } from './api-allocation';

/** Options of {@link SalesforceCrm}. */
export interface SalesforceOptions {
  readonly instance: string;
  /** The org's instance URL, e.g. https://acme.my.salesforce.com. */
  readonly baseUrl: string;
  readonly apiVersion?: string;
  readonly accessToken: () => Promise<string>;
  readonly refreshAccessToken: () => Promise<string>;
  /** Sent as `Sforce-Call-Options: client=<id>` so our writes come back marked in `changeOrigin`. */
  readonly clientId: string;
  readonly fields: CrmFieldNames;
  readonly flow?: 'billing' | 'other';
}

/** One item's outcome in an sObject Collections call. */
export interface CollectionResult {
  readonly id: string;
  readonly success: boolean;
  readonly errorCode?: string;
}

/** Error codes a retry can cure; every other code is the data's fault. */
const RETRYABLE = new Set(['UNABLE_TO_LOCK_ROW', 'ENTITY_IS_LOCKED', 'SERVER_UNAVAILABLE']);

/**
 * The CRM port on Salesforce's REST API. Every call carries our client id; the daily allocation in
 * `Sforce-Limit-Info` is tracked, and calls stop short of it (master data at 80%, billing at 95%)
 * rather than failing at REQUEST_LIMIT_EXCEEDED. Errors are arrays matched by `errorCode`.
 */
export class SalesforceCrm implements CrmPort {
  private allocation: ApiAllocation | undefined;

  constructor(private readonly options: SalesforceOptions) {}

  async writeBack(opportunityId: string, fields: CrmWriteBack): Promise<void> {
    const call: VendorCall = { vendor: 'salesforce', instance: this.options.instance, operation: 'write back opportunity' };
    const response = await this.send(call, 'PATCH', `/sobjects/Opportunity/${encodeURIComponent(opportunityId)}`, this.values(fields));
    if (response.status !== 204) throw this.errorFor(call, response);
  }

  /** Writes many opportunities with sObject Collections, 200 a call; each item's outcome is returned. */
  async writeBackMany(updates: readonly { opportunityId: string; fields: CrmWriteBack }[]): Promise<CollectionResult[]> {
    const call: VendorCall = { vendor: 'salesforce', instance: this.options.instance, operation: 'write back opportunities (collections)' };
    const results: CollectionResult[] = [];
    for (let start = 0; start < updates.length; start += 200) {
      const chunk = updates.slice(start, start + 200);
      const response = await this.send(call, 'PATCH', '/composite/sobjects', {
        allOrNone: false,
        records: chunk.map((u) => ({ attributes: { type: 'Opportunity' }, id: u.opportunityId, ...this.values(u.fields) })),
      });
      if (response.status !== 200) throw this.errorFor(call, response);
      for (const item of response.json<{ id: string; success: boolean; errors: { statusCode: string }[] }[]>() ?? []) {
        results.push({ id: item.id, success: item.success, ...(item.success ? {} : { errorCode: item.errors[0]?.statusCode ?? 'UNKNOWN' }) });
      }
    }
    return results;
  }

  private values(fields: CrmWriteBack): Record<string, string> {
    const f = this.options.fields;
    return {
      [f.syncStatus]: fields.syncStatus,
      [f.syncMessage]: fields.syncMessage,
      ...(fields.erpCustomerId ? { [f.erpCustomerId]: fields.erpCustomerId } : {}),
      ...(fields.erpProjectId ? { [f.erpProjectId]: fields.erpProjectId } : {}),
      ...(fields.psaProjectId ? { [f.psaProjectId]: fields.psaProjectId } : {}),
    };
  }

  private async send(call: VendorCall, method: string, path: string, body: unknown): Promise<VendorResponse> {
    const decision = mayCall(this.allocation, this.options.flow ?? 'other');
    if (!decision.proceed) throw new VendorThrottledError({ ...call, operation: `${call.operation}: ${decision.reason}` });
    const response = await sendWithOneRefresh(call, { current: this.options.accessToken, refreshed: this.options.refreshAccessToken }, (token) =>
      vendorRequest(call, `${this.options.baseUrl}/services/data/${this.options.apiVersion ?? 'v64.0'}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Sforce-Call-Options': `client=${this.options.clientId}` },
        body: JSON.stringify(body),
      }),
    );
    this.allocation = parseLimitInfo(response.headers.get('sforce-limit-info')) ?? this.allocation;
    return response;
  }

  /** Salesforce errors are an array of `{ message, errorCode, fields }`; the code decides. */
  private errorFor(call: VendorCall, response: VendorResponse): Error {
    const code = response.json<{ errorCode?: string; message?: string }[]>()?.[0]?.errorCode ?? `HTTP_${response.status}`;
    if (code === 'REQUEST_LIMIT_EXCEEDED' || response.status === 429) return new VendorThrottledError(call);
    if (response.status >= 500 || RETRYABLE.has(code)) return new VendorUnavailableError(call, `HTTP ${response.status} ${code}`);
    return new VendorRejectedError(call, response.status, code, response.json<{ message?: string }[]>()?.[0]?.message ?? 'no detail');
  }
}
