import type { CrmFieldNames } from '../../canonical';
import { type AuditTrail, auditResult } from '../shared/audit-trail';
import type { BillingHealth, CrmBillingPort } from '../time-to-invoice/ports';
import type { CrmPort, CrmWriteBack } from '../opportunity-to-project/ports';
import { sendWithOneRefresh } from '../shared/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../shared/http/vendor-http';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../shared/vendor-errors';
import { type ApiAllocation, mayCall, parseLimitInfo } from './api-allocation';
import { SALESFORCE_CONTRACT_FIELDS, type SalesforceOpportunitySnapshot, type SalesforceRecord } from './opportunity-mapping';
import type { WonDeal } from './reconcile-deals';

/** A SOQL string literal: quotes and backslashes escaped, so a value can never end the literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Options of {@link SalesforceCrm}. */
export interface SalesforceOptions {
  readonly instance: string;
  /** The vendor errors and audit entries name: a Certinia org is a Salesforce org with the managed package. @default salesforce */
  readonly vendor?: 'salesforce' | 'certinia';
  /** The org's instance URL, e.g. https://acme.my.salesforce.com. */
  readonly baseUrl: string;
  readonly apiVersion?: string;
  readonly accessToken: () => Promise<string>;
  readonly refreshAccessToken: () => Promise<string>;
  /** Sent as `Sforce-Call-Options: client=<id>` so our writes come back marked in `changeOrigin`. */
  readonly clientId: string;
  readonly fields: CrmFieldNames;
  readonly flow?: 'billing' | 'other';
  /** Where writes are recorded; the change intake also reads it to recognise our own writes coming back. */
  readonly audit?: AuditTrail;
  readonly execution?: string;
  readonly correlationId?: string;
}

/** One item's outcome in an sObject Collections call. */
export interface CollectionResult {
  readonly id: string;
  readonly success: boolean;
  readonly errorCode?: string;
}

/**
 * The org's API usage as the last response of any adapter in this container reported it, per org URL.
 * Adapters are made per step and per relayed record; the allocation is the org's, so it outlives them.
 */
const lastAllocation = new Map<string, ApiAllocation>();

/** Error codes a retry can cure; every other code is the data's fault. */
const RETRYABLE = new Set(['UNABLE_TO_LOCK_ROW', 'ENTITY_IS_LOCKED', 'SERVER_UNAVAILABLE']);

/**
 * The CRM port on Salesforce's REST API. Every call carries our client id; the daily allocation in
 * `Sforce-Limit-Info` is tracked, and calls stop short of it (master data at 80%, billing at 95%)
 * rather than failing at REQUEST_LIMIT_EXCEEDED. Errors are arrays matched by `errorCode`.
 */
export class SalesforceCrm implements CrmPort, CrmBillingPort {

  constructor(private readonly options: SalesforceOptions) {}

  async writeBack(opportunityId: string, fields: CrmWriteBack): Promise<void> {
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation: 'write back opportunity' };
    const body = this.values(fields);
    const response = await this.send(call, 'PATCH', `/sobjects/Opportunity/${encodeURIComponent(opportunityId)}`, body);
    await this.audit({ recordType: 'opportunity', recordKey: opportunityId, operation: 'update' }, body, response, response.status === 204);
    if (response.status !== 204) throw this.errorFor(call, response);
  }

  /**
   * Creates or updates a record by an external id field (PATCH .../<ExtIdField>/<value>): 201 created,
   * 200 updated; 300 means several records carry the value, which is the data's fault, never retried.
   */
  async upsertByExternalId(sobject: string, externalIdField: string, externalId: string, values: Readonly<Record<string, unknown>>): Promise<{ id: string; created: boolean }> {
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation: `upsert ${sobject} by ${externalIdField}` };
    const response = await this.send(call, 'PATCH', `/sobjects/${encodeURIComponent(sobject)}/${encodeURIComponent(externalIdField)}/${encodeURIComponent(externalId)}`, values);
    const ok = response.status === 200 || response.status === 201;
    await this.audit({ recordType: sobject.toLowerCase(), recordKey: externalId, operation: 'upsert' }, values, response, ok);
    if (response.status === 300) {
      const matches = response.json<string[]>() ?? [];
      throw new VendorRejectedError(call, 300, 'MULTIPLE_CHOICES', `${matches.length} ${sobject} records have ${externalIdField} = ${externalId}; make the external id unique`);
    }
    if (!ok) throw this.errorFor(call, response);
    const body = response.json<{ id: string; created: boolean }>();
    return { id: String(body?.id), created: response.status === 201 };
  }

  /** Writes many opportunities with sObject Collections, 200 a call; each item's outcome is returned. */
  async writeBackMany(updates: readonly { opportunityId: string; fields: CrmWriteBack }[]): Promise<CollectionResult[]> {
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation: 'write back opportunities (collections)' };
    const results: CollectionResult[] = [];
    for (let start = 0; start < updates.length; start += 200) {
      const chunk = updates.slice(start, start + 200);
      const response = await this.send(call, 'PATCH', '/composite/sobjects', {
        allOrNone: false,
        records: chunk.map((u) => ({ attributes: { type: 'Opportunity' }, id: u.opportunityId, ...this.values(u.fields) })),
      });
      if (response.status !== 200) {
        for (const u of chunk) await this.audit({ recordType: 'opportunity', recordKey: u.opportunityId, operation: 'update' }, this.values(u.fields), response, false);
        throw this.errorFor(call, response);
      }
      const items = response.json<{ id: string; success: boolean; errors: { statusCode: string }[] }[]>() ?? [];
      for (const [i, item] of items.entries()) {
        const u = chunk[i]!;
        await this.audit({ recordType: 'opportunity', recordKey: u.opportunityId, operation: 'update' }, this.values(u.fields), response, item.success, item.success ? undefined : item.errors[0]?.statusCode);
        results.push({ id: item.id, success: item.success, ...(item.success ? {} : { errorCode: item.errors[0]?.statusCode ?? 'UNKNOWN' }) });
      }
    }
    return results;
  }

  async writeBillingHealth(accountId: string, health: BillingHealth): Promise<void> {
    const f = this.options.fields;
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation: 'write billing health to account' };
    const body = { [f.billingStatus]: health.status, [f.lastInvoiceNumber]: health.lastInvoiceNumber, [f.lastInvoiceDate]: health.lastInvoiceDate, [f.lastInvoiceTotal]: health.lastInvoiceTotal };
    const response = await this.send(call, 'PATCH', `/sobjects/Account/${encodeURIComponent(accountId)}`, body);
    await this.audit({ recordType: 'account', recordKey: accountId, operation: 'update' }, body, response, response.status === 204);
    if (response.status !== 204) throw this.errorFor(call, response);
  }

  /** The opportunity, its account and line items, read in full before acting on a change. */
  async readOpportunity(opportunityId: string): Promise<SalesforceOpportunitySnapshot> {
    const opportunity = await this.get<SalesforceRecord>('read opportunity', `/sobjects/Opportunity/${encodeURIComponent(opportunityId)}`);
    const accountId = typeof opportunity.AccountId === 'string' ? opportunity.AccountId : undefined;
    const account = accountId ? await this.get<SalesforceRecord>('read account', `/sobjects/Account/${encodeURIComponent(accountId)}`) : undefined;
    const lineItems = await this.query<SalesforceRecord>(
      'read opportunity line items',
      `SELECT Id, ${SALESFORCE_CONTRACT_FIELDS.lineItem.join(', ')} FROM OpportunityLineItem WHERE OpportunityId = ${soqlString(opportunity.Id)}`,
    );
    return { opportunity, ...(account ? { account } : {}), lineItems };
  }

  /** Opportunities in a won stage modified at or after `since`, oldest first: reconciliation's input. */
  async wonOpportunitiesSince(wonStages: readonly string[], since: Date): Promise<WonDeal[]> {
    const legalEntity = this.options.fields.legalEntity;
    const records = await this.query<SalesforceRecord>(
      'query won opportunities',
      `SELECT Id, ${legalEntity}, CloseDate, LastModifiedDate FROM Opportunity WHERE StageName IN (${wonStages.map(soqlString).join(', ')}) AND LastModifiedDate >= ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')} ORDER BY LastModifiedDate`,
    );
    return records.map((r) => ({ id: r.Id, legalEntityId: typeof r[legalEntity] === 'string' ? (r[legalEntity] as string) : undefined, closedAt: String(r.LastModifiedDate) }));
  }

  private async get<T>(operation: string, path: string): Promise<T> {
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation };
    const response = await this.send(call, 'GET', path);
    if (response.status !== 200) throw this.errorFor(call, response);
    return response.json<T>() as T;
  }

  /**
   * Runs a SOQL query and follows `nextRecordsUrl` to the last page. Public because a Certinia org is
   * a Salesforce org: the Certinia adapter reads its managed package's objects through this client.
   */
  async query<T>(operation: string, soql: string): Promise<T[]> {
    const call: VendorCall = { vendor: this.options.vendor ?? 'salesforce', instance: this.options.instance, operation };
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
  private async audit(record: { recordType: string; recordKey: string; operation: string }, payload: unknown, response: VendorResponse, ok: boolean, code?: string): Promise<void> {
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

  private async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    const decision = mayCall(lastAllocation.get(this.options.baseUrl), this.options.flow ?? 'other');
    if (!decision.proceed) throw new VendorThrottledError({ ...call, operation: `${call.operation}: ${decision.reason}` });
    const response = await sendWithOneRefresh(call, { current: this.options.accessToken, refreshed: this.options.refreshAccessToken }, (token) =>
      vendorRequest(call, `${this.options.baseUrl}/services/data/${this.options.apiVersion ?? 'v64.0'}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Sforce-Call-Options': `client=${this.options.clientId}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const allocation = parseLimitInfo(response.headers.get('sforce-limit-info'));
    if (allocation) lastAllocation.set(this.options.baseUrl, allocation);
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
