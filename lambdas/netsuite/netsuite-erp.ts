import { CurrencyCode, type Money, majorUnits, money } from '../../canonical';
import type { AuditTrail } from '../common/audit-trail';
import { ourInvoiceGlobalId } from '../common/billing-keys';
import { ErpReferenceNotConfiguredError, type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../common/errors';
import { sendWithOneRefresh } from '../common/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../common/http/vendor-http';
import type {
  ErpCustomerDraft,
  ErpInvoiceDraft,
  ErpInvoiceOfPeriod,
  ErpInvoiceStatus,
  ErpPort,
  ErpProjectDraft,
  InvoiceReadPort,
  InvoicingPort,
  PaymentsPort,
  PostedInvoice,
} from '../ports/erp';
import { type TokenBasedAuth, tokenBasedAuthorization } from './oauth1';
import { accessToken, type ClientCredentialsAuth, forgetAccessToken, TOKEN_PATH } from './oauth2-m2m';

/** NetSuite credentials as stored in the instance's secret: token-based auth or OAuth 2.0 client credentials (M2M). */
export type NetSuiteCredentials = ({ readonly auth: 'tba' } & TokenBasedAuth) | ({ readonly auth: 'oauth2' } & ClientCredentialsAuth);

/** Where and as whom the adapter writes. */
export interface NetSuiteOptions {
  readonly instance: string;
  /** How long one API call may take before the adapter gives up and the state machine retries. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** @default https://<account>.suitetalk.api.netsuite.com */
  readonly baseUrl?: string;
  /** OneWorld accounts: the subsidiary internal id each legal entity posts to. Omitted: the account has no subsidiaries. */
  readonly subsidiaries?: Readonly<Record<string, string>>;
  /** Currency record internal ids by ISO code; NetSuite sets references by internal id. */
  readonly currencyIds?: Readonly<Partial<Record<string, string>>>;
  /** Payment terms record internal ids by the deal's payment terms code (`NET30`). */
  readonly paymentTermsIds?: Readonly<Partial<Record<string, string>>>;
  /** Tax item (or tax group) internal ids by the deal's tax profile code. Omitted: no `taxItem` is sent (SuiteTax). */
  readonly taxItemIds?: Readonly<Partial<Record<string, string>>>;
  readonly credentials: () => Promise<NetSuiteCredentials>;
  /** Re-reads the secret after a 401, in case it was rotated. */
  readonly refreshCredentials: () => Promise<NetSuiteCredentials>;
  readonly audit: AuditTrail;
  readonly execution: string;
  readonly correlationId: string;
}

/** NetSuite's REST error document. */
interface NetSuiteError {
  readonly title?: string;
  readonly 'o:errorDetails'?: readonly { detail?: string; 'o:errorCode'?: string }[];
}

/** The account's REST host: account ids use `_` where hosts use `-`. */
export function netSuiteBaseUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

/** The fields of an invoice read back by id that the payment poll and the reconciliation use. */
interface NetSuiteInvoiceRead {
  readonly externalId?: string;
  readonly tranId?: string;
  readonly tranDate?: string;
  readonly total?: number;
  readonly amountPaid?: number;
  readonly amountRemaining?: number;
  readonly lastModifiedDate?: string;
  readonly currency?: { readonly id?: string; readonly refName?: string };
}

/**
 * The ERP port on NetSuite's SuiteTalk REST record service. Writes are upserts by external id
 * (`PUT /record/v1/<type>/eid:<externalId>`), safe to repeat, so this adapter never retries: the
 * state machine owns retries, on the typed errors thrown here from NetSuite's status and error codes.
 */
export class NetSuiteErp implements ErpPort, InvoicingPort, PaymentsPort, InvoiceReadPort {
  constructor(private readonly options: NetSuiteOptions) {}

  async upsertCustomer(customer: ErpCustomerDraft): Promise<{ id: string }> {
    return this.upsert('customer', customer.externalId, {
      externalId: customer.externalId,
      companyName: customer.name,
      ...this.subsidiaryOf(customer.legalEntityId),
      currency: this.currencyRef(customer.currency),
      ...(customer.paymentTermsCode ? { terms: this.reference('paymentTermsIds', customer.paymentTermsCode) } : {}),
      // A customer's tax item is a legacy-tax field: a SuiteTax account determines tax from nexus, and its
      // instance configures no taxItemIds, so nothing is sent. With the map, a code left out is refused.
      ...(customer.taxProfileCode && this.options.taxItemIds !== undefined ? { taxItem: this.reference('taxItemIds', customer.taxProfileCode) } : {}),
      ...(customer.billingAddress
        ? {
            addressBook: {
              items: [
                {
                  defaultBilling: true,
                  addressBookAddress: {
                    addr1: customer.billingAddress.street,
                    city: customer.billingAddress.city,
                    state: customer.billingAddress.region,
                    zip: customer.billingAddress.postalCode,
                    country: { id: customer.billingAddress.country },
                  },
                },
              ],
            },
          }
        : {}),
    });
  }

  async upsertProject(project: ErpProjectDraft): Promise<{ id: string }> {
    return this.upsert('job', project.externalId, {
      externalId: project.externalId,
      ...(project.name ? { companyName: project.name } : {}),
      // A job belongs to its customer through `parent`.
      parent: { id: project.customerId },
      ...this.subsidiaryOf(project.legalEntityId),
      currency: this.currencyRef(project.currency),
      ...(project.startDate ? { startDate: project.startDate } : {}),
      ...(project.endDate ? { projectedEndDate: project.endDate } : {}),
    });
  }

  /**
   * Posts an invoice by upsert on its external id (contract and period), so a retry updates the same
   * invoice, then reads it back: the create answers 204 with no body, and the invoice number and tax
   * are NetSuite's to assign.
   */
  async postInvoice(invoice: ErpInvoiceDraft): Promise<PostedInvoice> {
    const { id } = await this.upsert('invoice', invoice.externalId, {
      externalId: invoice.externalId,
      // A transaction takes its subsidiary from its entity, so the invoice names none.
      entity: { id: invoice.customerId },
      currency: this.currencyRef(invoice.currency),
      tranDate: invoice.tranDate,
      item: {
        items: invoice.lines.map((l) => ({
          item: { id: l.itemId },
          description: l.description,
          ...(l.quantity ? { quantity: Number(l.quantity) } : {}),
          ...(l.rate ? { rate: Number(l.rate) } : {}),
          // NetSuite takes amounts in major units; minor units convert exactly for two decimals.
          amount: majorUnits(l.amount).toNumber(),
        })),
      },
    });
    const call: VendorCall = { vendor: 'netsuite', instance: this.options.instance, operation: 'read invoice' };
    const read = await this.send(call, 'GET', `/services/rest/record/v1/invoice/${id}`);
    const record = read.json<{ tranId?: string; subtotal?: number; taxTotal?: number; total?: number }>();
    if (read.status !== 200 || !record?.tranId) throw this.errorFor(call, read);
    const currency = CurrencyCode.parse(invoice.currency);
    const asMoney = (value: number | undefined): Money => money(String(value ?? 0), currency);
    return { id, invoiceNumber: record.tranId, subtotal: asMoney(record.subtotal), tax: asMoney(record.taxTotal), total: asMoney(record.total) };
  }

  async invoicesChangedSince(since: string): Promise<ErpInvoiceStatus[]> {
    const call: VendorCall = { vendor: 'netsuite', instance: this.options.instance, operation: 'list changed invoices' };
    return (await this.invoicesWhere(call, `lastModifiedDate ON_OR_AFTER "${since}"`)).map(({ id, record: r }) => {
      const currency = CurrencyCode.parse(this.currencyCodeOf(r.currency));
      const asMoney = (value: number | undefined): Money => money(String(value ?? 0), currency);
      return {
        id,
        ...(r.externalId ? { externalId: r.externalId } : {}),
        invoiceNumber: r.tranId ?? id,
        total: asMoney(r.total),
        amountPaid: asMoney(r.amountPaid),
        amountDue: asMoney(r.amountRemaining),
        lastModified: r.lastModifiedDate ?? new Date(0).toISOString(),
      };
    });
  }

  /**
   * Our invoices dated in the range: the record query
   * `q=tranDate ON_OR_AFTER "<from>" AND tranDate ON_OR_BEFORE "<to>"` every page, then each invoice by
   * id; those whose `externalId` is not one of ours are left out.
   */
  async invoicesDatedIn(from: string, to: string): Promise<ErpInvoiceOfPeriod[]> {
    const call: VendorCall = { vendor: 'netsuite', instance: this.options.instance, operation: 'list invoices by date' };
    const found = await this.invoicesWhere(call, `tranDate ON_OR_AFTER "${from}" AND tranDate ON_OR_BEFORE "${to}"`);
    return found
      .filter(({ record }) => ourInvoiceGlobalId(record.externalId) !== undefined)
      .map(({ id, record: r }) => ({
        id,
        reference: r.externalId!,
        invoiceNumber: r.tranId ?? id,
        total: money(String(r.total ?? 0), CurrencyCode.parse(this.currencyCodeOf(r.currency))),
        date: String(r.tranDate ?? '').slice(0, 10),
      }));
  }

  /**
   * The invoices a record query (`q=`) selects, every page of 1,000 ids, each then read by id: the record
   * API's query answers ids only.
   */
  private async invoicesWhere(call: VendorCall, query: string): Promise<{ id: string; record: NetSuiteInvoiceRead }[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const response = await this.send(call, 'GET', `/services/rest/record/v1/invoice?q=${encodeURIComponent(query)}&limit=1000&offset=${offset}`);
      if (response.status !== 200) throw this.errorFor(call, response);
      const page = response.json<{ items?: { id: string }[]; hasMore?: boolean }>();
      ids.push(...(page?.items ?? []).map((i) => i.id));
      if (!page?.hasMore) break;
    }
    const invoices: { id: string; record: NetSuiteInvoiceRead }[] = [];
    for (const id of ids) {
      const read = await this.send({ ...call, operation: 'read invoice' }, 'GET', `/services/rest/record/v1/invoice/${id}`);
      if (read.status !== 200) throw this.errorFor(call, read);
      invoices.push({ id, record: read.json<NetSuiteInvoiceRead>()! });
    }
    return invoices;
  }

  /** The legal entity's subsidiary, on a OneWorld account; nothing on an account without subsidiaries. */
  private subsidiaryOf(legalEntityId: string | undefined): { subsidiary?: { id: string } } {
    const subsidiaries = this.options.subsidiaries;
    if (subsidiaries === undefined) return {};
    const id = legalEntityId === undefined ? undefined : subsidiaries[legalEntityId];
    // The configuration gives every entity on a OneWorld account a subsidiary; writing without one would be refused.
    if (id === undefined) throw new Error(`NetSuite instance ${this.options.instance} has no subsidiary for legal entity ${legalEntityId ?? '(none)'}`);
    return { subsidiary: { id } };
  }

  /** A currency reference by internal id; NetSuite documents setting a reference by id only (docs/vendors/netsuite.md, "References"). */
  private currencyRef(code: string): { id: string } {
    return this.reference('currencyIds', code);
  }

  /**
   * A reference by the internal id the instance configures for a code. Without one the write is refused
   * here, before any request: a `refName` is response-only, and sending none could drop the field silently.
   */
  private reference(key: 'currencyIds' | 'paymentTermsIds' | 'taxItemIds', code: string): { id: string } {
    const id = this.options[key]?.[code];
    if (id === undefined) throw new ErpReferenceNotConfiguredError(`${this.options.instance} has no ${key} entry for ${code}`);
    return { id };
  }

  /** The ISO code of a currency reference read back: by its internal id when configured, else its refName (reads stay tolerant). */
  private currencyCodeOf(reference: { id?: string; refName?: string } | undefined): string | undefined {
    const byId = Object.entries(this.options.currencyIds ?? {}).find(([, id]) => id !== undefined && id === reference?.id)?.[0];
    return byId ?? reference?.refName;
  }

  private async upsert(type: string, externalId: string, body: Record<string, unknown>): Promise<{ id: string }> {
    const call: VendorCall = { vendor: 'netsuite', instance: this.options.instance, operation: `upsert ${type}` };
    const path = `/services/rest/record/v1/${type}/eid:${encodeURIComponent(externalId)}`;
    const response = await this.send(call, 'PUT', path, body);
    const audit = {
      vendor: 'netsuite',
      instance: this.options.instance,
      recordType: type,
      recordKey: externalId,
      operation: 'upsert',
      execution: this.options.execution,
      correlationId: this.options.correlationId,
      payload: body,
      at: new Date(),
    };
    if (response.status !== 204 && response.status !== 200) {
      const error = this.errorFor(call, response);
      await this.options.audit.record({ ...audit, result: error instanceof VendorRejectedError ? 'rejected' : 'failed', status: String(response.status) });
      throw error;
    }
    await this.options.audit.record({ ...audit, result: 'ok', status: String(response.status) });
    // Create and upsert answer 204 with the record's address in Location; the internal id is its last segment.
    const location = response.headers.get('location');
    const id = location?.split('/').pop();
    if (id && /^\d+$/.test(id)) return { id };
    const read = await this.send({ ...call, operation: `read ${type}` }, 'GET', path);
    const record = read.json<{ id?: string }>();
    if (read.status !== 200 || !record?.id) throw this.errorFor(call, read);
    return { id: record.id };
  }

  private async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    // The bearer token the last attempt sent, so a 401 forgets that one and not a newer one.
    let sent: { credentials: ClientCredentialsAuth; tokenUrl: string; token: string } | undefined;
    return sendWithOneRefresh(
      call,
      { current: this.options.credentials, refreshed: this.options.refreshCredentials },
      async (credentials) => {
        const base = this.options.baseUrl ?? netSuiteBaseUrl(credentials.accountId);
        const url = `${base}${path}`;
        let authorization: string;
        if (credentials.auth === 'tba') authorization = tokenBasedAuthorization(credentials, method, url);
        else {
          const tokenUrl = `${base}${TOKEN_PATH}`;
          const token = await accessToken(call, credentials, tokenUrl, (c, r) => this.errorFor(c, r));
          sent = { credentials, tokenUrl, token };
          authorization = `Bearer ${token}`;
        }
        return vendorRequest(call, url, {
          method,
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json', prefer: 'transient' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          timeoutMs: this.options.requestTimeoutMs ?? 30_000,
        });
      },
      {
        onRefresh: () => {
          if (sent) forgetAccessToken(sent.credentials, sent.tokenUrl, sent.token);
        },
      },
    );
  }

  /** Maps NetSuite's status and `o:errorCode` (never its message text) to our error types. */
  private errorFor(call: VendorCall, response: VendorResponse): Error {
    const document = response.json<NetSuiteError>();
    const detail = document?.['o:errorDetails']?.[0];
    const code = detail?.['o:errorCode'] ?? `HTTP_${response.status}`;
    if (response.status === 429 || code === 'CONCURRENCY_LIMIT_EXCEEDED') {
      const retryAfter = Number(response.headers.get('retry-after'));
      return new VendorThrottledError(call, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
    }
    if (response.status >= 500) return new VendorUnavailableError(call, `HTTP ${response.status} ${code}`);
    return new VendorRejectedError(call, response.status, code, detail?.detail ?? document?.title ?? 'no detail');
  }
}
