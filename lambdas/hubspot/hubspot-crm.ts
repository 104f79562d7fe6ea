import type { CrmFieldNames } from '../../canonical';
import { type AuditTrail, auditResult } from '../common/audit-trail';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../common/errors';
import { sendWithOneRefresh } from '../common/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../common/http/vendor-http';
import type { BillingHealth, CrmBillingPort, CrmPort, CrmWriteBack } from '../ports/crm';

/** A deal as HubSpot's CRM objects API returns it (every property value is a string). */
export interface HubSpotObject {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null | undefined>>;
}

/** A won-deal candidate with its company and line items, read in full before acting. */
export interface HubSpotDealSnapshot {
  readonly deal: HubSpotObject;
  readonly company?: HubSpotObject;
  readonly lineItems: readonly HubSpotObject[];
}

/** Options of {@link HubSpotCrm}. */
export interface HubSpotOptions {
  readonly instance: string;
  /** How long one API call may take before the adapter gives up and the state machine retries. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** @default https://api.hubapi.com */
  readonly baseUrl?: string;
  /** The bearer token: a private app's, or an OAuth access token (see HubSpotAccessTokens). */
  readonly accessToken: () => Promise<string>;
  /** A fresh token after a 401: the secret re-read, and an OAuth token minted anew. */
  readonly refreshAccessToken: () => Promise<string>;
  readonly fields: CrmFieldNames;
  readonly audit?: AuditTrail;
  readonly execution?: string;
  readonly correlationId?: string;
}

/** Deal properties the integration reads, besides the configurable fields. */
const DEAL_PROPERTIES = [
  'dealname',
  'dealstage',
  'pipeline',
  'amount',
  'deal_currency_code',
  'closedate',
  'hs_lastmodifieddate',
  'ps_contract_start',
  'ps_contract_end',
  'ps_not_to_exceed',
  'ps_expense_markup',
];
const COMPANY_PROPERTIES = ['name', 'domain', 'address', 'city', 'state', 'zip', 'country'];
const LINE_ITEM_PROPERTIES = [
  'name',
  'price',
  'quantity',
  'ps_line_type',
  'ps_effective_from',
  'ps_effective_to',
  'ps_due_date',
  'ps_billable',
  'ps_estimated_hours',
];

/**
 * The CRM port on HubSpot's CRM objects API (v3): reads a deal with its company and line items,
 * and writes the sync fields back with one PATCH. HubSpot's errors are objects with a `category`,
 * which decides the mapping; 429 is throttling (the state machine retries).
 */
export class HubSpotCrm implements CrmPort, CrmBillingPort {
  constructor(private readonly options: HubSpotOptions) {}

  /** Reads the deal, its first associated company and its line items. */
  async readDeal(dealId: string): Promise<HubSpotDealSnapshot> {
    const f = this.options.fields;
    const properties = [...DEAL_PROPERTIES, f.legalEntity, f.businessUnit, f.taxProfile, f.billingTerms, f.paymentTerms, f.syncRevision].join(',');
    const deal = await this.get<HubSpotObject & { associations?: Record<string, { results?: { id: string }[] }> }>(
      'read deal',
      `/crm/v3/objects/deals/${encodeURIComponent(dealId)}?properties=${properties}&associations=companies,line_items`,
    );
    const companyId = deal.associations?.companies?.results?.[0]?.id;
    const company = companyId
      ? await this.get<HubSpotObject>('read company', `/crm/v3/objects/companies/${encodeURIComponent(companyId)}?properties=${COMPANY_PROPERTIES.join(',')}`)
      : undefined;
    const lineItemIds = (deal.associations?.['line items']?.results ?? deal.associations?.line_items?.results ?? []).map((r) => r.id);
    const lineItems: HubSpotObject[] = [];
    for (const id of lineItemIds)
      lineItems.push(
        await this.get<HubSpotObject>('read line item', `/crm/v3/objects/line_items/${encodeURIComponent(id)}?properties=${LINE_ITEM_PROPERTIES.join(',')}`),
      );
    return { deal: { id: deal.id, properties: deal.properties }, ...(company ? { company } : {}), lineItems };
  }

  async writeBack(opportunityId: string, fields: CrmWriteBack): Promise<void> {
    const f = this.options.fields;
    const properties: Record<string, string> = { [f.syncStatus]: fields.syncStatus, [f.syncMessage]: fields.syncMessage };
    if (fields.erpCustomerId) properties[f.erpCustomerId] = fields.erpCustomerId;
    if (fields.erpProjectId) properties[f.erpProjectId] = fields.erpProjectId;
    if (fields.psaProjectId) properties[f.psaProjectId] = fields.psaProjectId;
    const call: VendorCall = { vendor: 'hubspot', instance: this.options.instance, operation: 'write back deal' };
    const body = { properties };
    const response = await this.send(call, 'PATCH', `/crm/v3/objects/deals/${encodeURIComponent(opportunityId)}`, body);
    await this.audit('deal', opportunityId, body, response);
    if (response.status !== 200) throw this.errorFor(call, response);
  }

  async writeBillingHealth(companyId: string, health: BillingHealth): Promise<void> {
    const f = this.options.fields;
    const body = {
      properties: {
        [f.billingStatus]: health.status,
        [f.lastInvoiceNumber]: health.lastInvoiceNumber,
        [f.lastInvoiceDate]: health.lastInvoiceDate,
        [f.lastInvoiceTotal]: health.lastInvoiceTotal,
      },
    };
    const call: VendorCall = { vendor: 'hubspot', instance: this.options.instance, operation: 'write billing health to company' };
    const response = await this.send(call, 'PATCH', `/crm/v3/objects/companies/${encodeURIComponent(companyId)}`, body);
    await this.audit('company', companyId, body, response);
    if (response.status !== 200) throw this.errorFor(call, response);
  }

  /** Records an update in the audit trail: what, when, which execution, payload hash, result. */
  private async audit(recordType: string, recordKey: string, payload: unknown, response: VendorResponse): Promise<void> {
    await this.options.audit?.record({
      vendor: 'hubspot',
      instance: this.options.instance,
      recordType,
      recordKey,
      operation: 'update',
      execution: this.options.execution ?? 'none',
      correlationId: this.options.correlationId ?? 'none',
      payload,
      result: auditResult(response.status, response.status === 200),
      status: String(response.status),
      at: new Date(),
    });
  }

  private async get<T>(operation: string, path: string): Promise<T> {
    const call: VendorCall = { vendor: 'hubspot', instance: this.options.instance, operation };
    const response = await this.send(call, 'GET', path);
    const body = response.json<T>();
    if (response.status !== 200 || body === undefined) throw this.errorFor(call, response);
    return body;
  }

  private async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    return sendWithOneRefresh(call, { current: this.options.accessToken, refreshed: this.options.refreshAccessToken }, (token) =>
      vendorRequest(call, `${this.options.baseUrl ?? 'https://api.hubapi.com'}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.options.requestTimeoutMs ?? 30_000,
      }),
    );
  }

  private errorFor(call: VendorCall, response: VendorResponse): Error {
    return hubSpotErrorFor(call, response);
  }
}

/** A HubSpot error answer as our error: decided by status and `category`, never by message. */
export function hubSpotErrorFor(call: VendorCall, response: VendorResponse): Error {
  const error = response.json<{ category?: string; message?: string }>();
  if (response.status === 429 || error?.category === 'RATE_LIMITS') {
    const retryAfter = Number(response.headers.get('retry-after'));
    return new VendorThrottledError(call, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
  if (response.status >= 500) return new VendorUnavailableError(call, `HTTP ${response.status}`);
  return new VendorRejectedError(call, response.status, error?.category ?? `HTTP_${response.status}`, error?.message ?? 'no detail');
}
