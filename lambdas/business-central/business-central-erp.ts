import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { CurrencyCode, type Money, majorUnits, money } from '../../canonical';
import type { AuditTrail } from '../common/audit-trail';
import { invoiceDocumentNumber, ourInvoiceGlobalId } from '../common/billing-keys';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../common/errors';
import { ClientCredentialsToken, sendWithOneRefresh } from '../common/http/credential-refresh';
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

/** The client credentials of an Entra app registration with access to the BC environment, from the instance's secret. */
export interface BusinessCentralCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Where the BC environment is and as whom the adapter calls it. */
export interface BusinessCentralOptions {
  readonly instance: string;
  /** How long one API call may take before the adapter gives up and the state machine retries. @default 30_000 */
  readonly requestTimeoutMs?: number;
  readonly tenantId: string;
  readonly environment: string;
  readonly companyId: string;
  /** The company's local currency: BC documents in it carry a blank currency code. */
  readonly localCurrency: string;
  /** @default https://api.businesscentral.dynamics.com */
  readonly baseUrl?: string;
  /** @default https://login.microsoftonline.com */
  readonly authorityUrl?: string;
  readonly credentials: () => Promise<BusinessCentralCredentials>;
  /** Re-reads the secret after a 401, in case it was rotated. */
  readonly refreshCredentials: () => Promise<BusinessCentralCredentials>;
  readonly audit: AuditTrail;
  readonly execution: string;
  readonly correlationId: string;
}

/** A webhook subscription as BC lists it. */
export interface BusinessCentralSubscription {
  readonly subscriptionId: string;
  readonly notificationUrl: string;
  readonly resource: string;
  readonly expirationDateTime: string;
  readonly etag: string;
}

/** A sales invoice as API v2.0 returns it (the fields this adapter reads). */
interface SalesInvoice {
  readonly id: string;
  readonly number: string;
  readonly externalDocumentNumber?: string;
  readonly status: string;
  readonly currencyCode?: string;
  readonly totalAmountExcludingTax?: number;
  readonly totalTaxAmount?: number;
  readonly totalAmountIncludingTax?: number;
  readonly remainingAmount?: number;
  readonly lastModifiedDateTime?: string;
  readonly invoiceDate?: string;
  readonly '@odata.etag'?: string;
}

/** Our code for a record whose BC key is a Code[20] `number`: `PS` and 18 hex digits of its global id (BC upper-cases codes). */
export function businessCentralNumber(globalId: string): string {
  const hex = globalId.replace(/-/g, '').toUpperCase();
  if (!/^[0-9A-F]{18,}$/.test(hex)) throw new Error(`${globalId} is not a global id`);
  return `PS${hex.slice(0, 18)}`;
}

/** A subscription as the API returns it. */
type SubscriptionEntity = Omit<BusinessCentralSubscription, 'etag'> & { readonly '@odata.etag'?: string };

function subscriptionOf(s: SubscriptionEntity): BusinessCentralSubscription {
  return {
    subscriptionId: s.subscriptionId,
    notificationUrl: s.notificationUrl,
    resource: s.resource,
    expirationDateTime: s.expirationDateTime,
    etag: s['@odata.etag'] ?? '*',
  };
}

/** BC's JSON number in a currency, exactly: read through its decimal text. */
function moneyOf(value: number | undefined, currency: CurrencyCode): Money {
  return money(new Decimal(value ?? 0).toFixed(), currency);
}

/** OData string literal: single quotes doubled. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Entra tokens per authority, tenant and app credentials, in module scope so a warm container reuses them. */
const entraTokens = new Map<string, ClientCredentialsToken>();

/**
 * The ERP port on Business Central's API v2.0. BC has no upsert by external id, so every write looks
 * first: customers and projects by a `number` derived from our global id, invoices by an
 * `externalDocumentNumber` derived from contract and period, so a retry finds what an earlier attempt
 * made and never makes a second. An invoice is created as a draft with its lines in one deep insert,
 * then posted (`Microsoft.NAV.post`); BC assigns the posted number and tax, read back afterwards.
 * Like the other adapters it never retries: the state machine owns retries, on the typed errors.
 */
export class BusinessCentralErp implements ErpPort, InvoicingPort, PaymentsPort, InvoiceReadPort {
  constructor(private readonly options: BusinessCentralOptions) {}

  /**
   * The app's Entra token, shared by every adapter of the container (one per invocation) until shortly
   * before it expires. Keyed by the credentials too, so a rotated secret gets its own token.
   */
  private tokenFor(credentials: BusinessCentralCredentials): ClientCredentialsToken {
    const secret = createHash('sha256').update(credentials.clientSecret).digest('base64url');
    const key = `${this.options.authorityUrl ?? 'https://login.microsoftonline.com'}/${this.options.tenantId} ${credentials.clientId} ${secret}`;
    let token = entraTokens.get(key);
    if (token === undefined) {
      token = new ClientCredentialsToken(businessCentralError);
      entraTokens.set(key, token);
    }
    return token;
  }

  async upsertCustomer(customer: ErpCustomerDraft): Promise<{ id: string }> {
    const number = businessCentralNumber(customer.externalId);
    return this.findOrCreate('customers', number, {
      number,
      displayName: customer.name.slice(0, 100),
      currencyCode: this.currencyCode(customer.currency),
      ...(customer.billingAddress
        ? {
            addressLine1: customer.billingAddress.street ?? '',
            city: customer.billingAddress.city ?? '',
            state: customer.billingAddress.region ?? '',
            postalCode: customer.billingAddress.postalCode ?? '',
            country: customer.billingAddress.country ?? '',
          }
        : {}),
    });
  }

  async upsertProject(project: ErpProjectDraft): Promise<{ id: string }> {
    const number = businessCentralNumber(project.externalId);
    // Found or created, never updated: a project that exists keeps the name BC has.
    return this.findOrCreate('projects', number, { number, displayName: (project.name ?? number).slice(0, 100) });
  }

  /**
   * Posts the period's invoice: finds the draft or posted invoice an earlier attempt made by its
   * document number, creates the draft with its lines when there is none, posts a draft, and reads the
   * posted invoice back for BC's number and tax.
   */
  async postInvoice(invoice: ErpInvoiceDraft): Promise<PostedInvoice> {
    const documentNumber = invoiceDocumentNumber(invoice.externalId);
    const call = this.call('post invoice');
    let found = await this.invoiceByDocumentNumber(documentNumber);
    if (found === undefined) {
      const body = {
        externalDocumentNumber: documentNumber,
        customerId: invoice.customerId,
        currencyCode: this.currencyCode(invoice.currency),
        invoiceDate: invoice.tranDate,
        salesInvoiceLines: invoice.lines.map((l) => ({
          lineType: 'Item',
          lineObjectNumber: l.itemId,
          description: l.description.slice(0, 100),
          ...this.quantityAndPrice(l),
        })),
      };
      const created = await this.send(call, 'POST', `${this.company()}/salesInvoices`, body);
      await this.audit('salesInvoice', documentNumber, 'create', body, created);
      if (created.status !== 201) throw this.errorFor(call, created);
      found = created.json<SalesInvoice>()!;
    }
    if (found.status === 'Draft') {
      const posted = await this.send(call, 'POST', `${this.company()}/salesInvoices(${found.id})/Microsoft.NAV.post`);
      await this.audit('salesInvoice', documentNumber, 'post', {}, posted);
      if (posted.status !== 204) throw this.errorFor(call, posted);
    }
    const read = await this.invoice(found.id);
    if (read.status === 'Draft') throw new VendorUnavailableError(call, `invoice ${documentNumber} is still a draft after posting`);
    const currency = CurrencyCode.parse(invoice.currency);
    return {
      id: read.id,
      invoiceNumber: read.number,
      subtotal: moneyOf(read.totalAmountExcludingTax, currency),
      tax: moneyOf(read.totalTaxAmount, currency),
      total: moneyOf(read.totalAmountIncludingTax, currency),
    };
  }

  /** Invoices changed at or after `since` (a `collection` notification names no record), every page. */
  async invoicesChangedSince(since: string): Promise<ErpInvoiceStatus[]> {
    const call = this.call('list changed invoices');
    const statuses: ErpInvoiceStatus[] = [];
    let path: string | undefined = `${this.company()}/salesInvoices?$filter=${encodeURIComponent(`lastModifiedDateTime ge ${since}`)}`;
    while (path !== undefined) {
      const response = await this.send(call, 'GET', path);
      if (response.status !== 200) throw this.errorFor(call, response);
      const page = response.json<{ value?: SalesInvoice[]; '@odata.nextLink'?: string }>();
      statuses.push(...(page?.value ?? []).map((i) => this.statusOf(i)));
      const next = page?.['@odata.nextLink'];
      path = next === undefined ? undefined : next.slice(next.indexOf('/companies('));
    }
    return statuses;
  }

  /**
   * Our invoices dated in the range: `salesInvoices?$filter=invoiceDate ge <from> and invoiceDate le <to>`
   * every page; those whose `externalDocumentNumber` is not one of ours are left out.
   */
  async invoicesDatedIn(from: string, to: string): Promise<ErpInvoiceOfPeriod[]> {
    const call = this.call('list invoices by date');
    const invoices: ErpInvoiceOfPeriod[] = [];
    let path: string | undefined = `${this.company()}/salesInvoices?$filter=${encodeURIComponent(`invoiceDate ge ${from} and invoiceDate le ${to}`)}`;
    while (path !== undefined) {
      const response = await this.send(call, 'GET', path);
      if (response.status !== 200) throw this.errorFor(call, response);
      const page = response.json<{ value?: SalesInvoice[]; '@odata.nextLink'?: string }>();
      for (const i of page?.value ?? []) {
        if (ourInvoiceGlobalId(i.externalDocumentNumber) === undefined) continue;
        const { total } = this.statusOf(i);
        invoices.push({ id: i.id, reference: i.externalDocumentNumber!, invoiceNumber: i.number, total, date: String(i.invoiceDate ?? '').slice(0, 10) });
      }
      const next = page?.['@odata.nextLink'];
      path = next === undefined ? undefined : next.slice(next.indexOf('/companies('));
    }
    return invoices;
  }

  /**
   * The invoice a notification names (`api/v2.0/companies(<id>)/salesInvoices(<id>)`), re-read because
   * notifications carry no record data; undefined when the resource is not one of this company's
   * invoices or no longer exists.
   */
  async invoiceStatusOf(resource: string): Promise<ErpInvoiceStatus | undefined> {
    const match = /companies\(([0-9a-fA-F-]{36})\)\/salesInvoices\(([0-9a-fA-F-]{36})\)$/.exec(resource);
    if (!match || match[1]!.toLowerCase() !== this.options.companyId.toLowerCase()) return undefined;
    const call = this.call('read invoice');
    const response = await this.send(call, 'GET', `${this.company()}/salesInvoices(${match[2]})`);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw this.errorFor(call, response);
    return this.statusOf(response.json<SalesInvoice>()!);
  }

  /** The environment's webhook subscriptions. */
  async subscriptions(): Promise<BusinessCentralSubscription[]> {
    const call = this.call('list subscriptions');
    const response = await this.send(call, 'GET', '/subscriptions');
    if (response.status !== 200) throw this.errorFor(call, response);
    return (response.json<{ value?: SubscriptionEntity[] }>()?.value ?? []).map(subscriptionOf);
  }

  /** Subscribes the notification URL to a resource; BC validates the URL with a handshake before it answers. */
  async subscribe(notificationUrl: string, resource: string, clientState: string): Promise<BusinessCentralSubscription> {
    const call = this.call('create subscription');
    const response = await this.send(call, 'POST', '/subscriptions', { notificationUrl, resource, clientState });
    if (response.status !== 201) throw this.errorFor(call, response);
    return subscriptionOf(response.json<SubscriptionEntity>()!);
  }

  /**
   * Renews a subscription for another three days. The PATCH carries the clientState too, so a rotated
   * secret takes effect on the next renewal; BC validates the URL again before it answers.
   */
  async renew(subscription: BusinessCentralSubscription, clientState: string): Promise<BusinessCentralSubscription> {
    const call = this.call('renew subscription');
    const response = await this.send(
      call,
      'PATCH',
      `/subscriptions(${literal(subscription.subscriptionId)})`,
      { notificationUrl: subscription.notificationUrl, resource: subscription.resource, clientState },
      { 'if-match': subscription.etag },
    );
    if (response.status !== 200) throw this.errorFor(call, response);
    return subscriptionOf(response.json<SubscriptionEntity>()!);
  }

  /** The company's path below the API root. */
  private company(): string {
    return `/companies(${this.options.companyId})`;
  }

  private call(operation: string): VendorCall {
    return { vendor: 'business-central', instance: this.options.instance, operation };
  }

  private currencyCode(currency: string): string {
    return currency === this.options.localCurrency ? '' : currency;
  }

  /**
   * BC computes a line's amount from quantity × unit price with its own rounding. Where ours is that
   * product to the minor unit, the line shows hours and rate; otherwise (a cap write-down, a fixed fee)
   * it is one unit at the amount, so BC's amount is always exactly ours.
   */
  private quantityAndPrice(line: ErpInvoiceDraft['lines'][number]): { quantity: number; unitPrice: number } {
    const amount = majorUnits(line.amount);
    if (line.quantity !== undefined && line.rate !== undefined) {
      const product = new Decimal(line.quantity).times(line.rate);
      if (product.toDecimalPlaces(amount.decimalPlaces() > 2 ? amount.decimalPlaces() : 2).equals(amount))
        return { quantity: Number(line.quantity), unitPrice: Number(line.rate) };
    }
    return { quantity: 1, unitPrice: amount.toNumber() };
  }

  private async findOrCreate(entitySet: 'customers' | 'projects', number: string, body: Record<string, unknown>): Promise<{ id: string }> {
    const call = this.call(`find or create ${entitySet}`);
    const byNumber = async (): Promise<{ id: string } | undefined> => {
      const existing = await this.send(call, 'GET', `${this.company()}/${entitySet}?$filter=${encodeURIComponent(`number eq ${literal(number)}`)}`);
      if (existing.status !== 200) throw this.errorFor(call, existing);
      const id = existing.json<{ value?: { id: string }[] }>()?.value?.[0]?.id;
      return id === undefined ? undefined : { id };
    };
    const found = await byNumber();
    if (found) return found;
    const created = await this.send(call, 'POST', `${this.company()}/${entitySet}`, body);
    await this.audit(entitySet, number, 'create', body, created);
    if (created.status === 201) return { id: created.json<{ id: string }>()!.id };
    // Another attempt created it between our read and our write: BC refuses the duplicate number.
    if (created.json<{ error?: { code?: string } }>()?.error?.code === 'Internal_EntityWithSameKeyExists') {
      const winner = await byNumber();
      if (winner) return winner;
    }
    throw this.errorFor(call, created);
  }

  private async invoiceByDocumentNumber(documentNumber: string): Promise<SalesInvoice | undefined> {
    const call = this.call('find invoice');
    const response = await this.send(
      call,
      'GET',
      `${this.company()}/salesInvoices?$filter=${encodeURIComponent(`externalDocumentNumber eq ${literal(documentNumber)}`)}`,
    );
    if (response.status !== 200) throw this.errorFor(call, response);
    const matches = response.json<{ value?: SalesInvoice[] }>()?.value ?? [];
    // A canceled attempt is history; the live invoice is the one to carry on with.
    return matches.find((i) => i.status !== 'Canceled');
  }

  private async invoice(id: string): Promise<SalesInvoice> {
    const call = this.call('read invoice');
    const response = await this.send(call, 'GET', `${this.company()}/salesInvoices(${id})`);
    if (response.status !== 200) throw this.errorFor(call, response);
    return response.json<SalesInvoice>()!;
  }

  private statusOf(i: SalesInvoice): ErpInvoiceStatus {
    const currency = CurrencyCode.parse(i.currencyCode ? i.currencyCode : this.options.localCurrency);
    const total = moneyOf(i.totalAmountIncludingTax, currency);
    // A draft is not yet receivable and a canceled invoice no longer is: neither has been paid.
    const due = i.status === 'Draft' ? total : i.status === 'Canceled' ? moneyOf(0, currency) : moneyOf(i.remainingAmount, currency);
    const paid = i.status === 'Draft' || i.status === 'Canceled' ? 0 : total.amountMinor - due.amountMinor;
    return {
      id: i.id,
      ...(i.externalDocumentNumber ? { externalId: i.externalDocumentNumber } : {}),
      invoiceNumber: i.number,
      total,
      amountPaid: { amountMinor: paid, currency },
      amountDue: due,
      lastModified: i.lastModifiedDateTime ?? new Date(0).toISOString(),
    };
  }

  private async audit(recordType: string, recordKey: string, operation: string, payload: unknown, response: VendorResponse): Promise<void> {
    const ok = response.status >= 200 && response.status < 300;
    await this.options.audit.record({
      vendor: 'business-central',
      instance: this.options.instance,
      recordType,
      recordKey,
      operation,
      execution: this.options.execution,
      correlationId: this.options.correlationId,
      payload,
      at: new Date(),
      result: ok ? 'ok' : response.status >= 400 && response.status < 500 && response.status !== 429 ? 'rejected' : 'failed',
      status: String(response.status),
    });
  }

  private errorFor(call: VendorCall, response: VendorResponse): Error {
    return businessCentralError(call, response);
  }

  private async send(call: VendorCall, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<VendorResponse> {
    const { tenantId, environment } = this.options;
    const url = `${this.options.baseUrl ?? 'https://api.businesscentral.dynamics.com'}/v2.0/${tenantId}/${environment}/api/v2.0${path}`;
    // The token the last attempt used, forgotten after a 401.
    let used: ClientCredentialsToken | undefined;
    return sendWithOneRefresh(
      call,
      { current: this.options.credentials, refreshed: this.options.refreshCredentials },
      async (credentials) => {
        used = this.tokenFor(credentials);
        const bearer = await used.bearer(call, {
          url: `${this.options.authorityUrl ?? 'https://login.microsoftonline.com'}/${tenantId}/oauth2/v2.0/token`,
          headers: {},
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: credentials.clientId,
            client_secret: credentials.clientSecret,
            scope: 'https://api.businesscentral.dynamics.com/.default',
          }).toString(),
        });
        return vendorRequest(call, url, {
          method,
          headers: {
            authorization: `Bearer ${bearer}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          timeoutMs: this.options.requestTimeoutMs ?? 30_000,
        });
      },
      { onRefresh: () => used?.invalidate() },
    );
  }
}

/** Maps BC's status and `error.code` (never its message text) to our error types. */
function businessCentralError(call: VendorCall, response: VendorResponse): Error {
  const error = response.json<{ error?: { code?: string; message?: string } }>()?.error;
  const code = error?.code ?? `HTTP_${response.status}`;
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    return new VendorThrottledError(call, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
  if (response.status >= 500 || response.status === 408) return new VendorUnavailableError(call, `HTTP ${response.status} ${code}`);
  return new VendorRejectedError(call, response.status, code, error?.message ?? 'no detail');
}
