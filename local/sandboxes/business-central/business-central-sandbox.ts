import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { type LocalNetwork, type RunningSandbox, readJson, type SandboxRequest, type SandboxResponse, type SandboxRoute, startSandbox } from '../sandbox-kit';
import { COMPANY, CUSTOMER, ITEM, PROJECT, SALES_INVOICE, SALES_INVOICE_LINE } from './api-v2-entity-types';
import { createEntraTokenEndpoint } from './entra-token-endpoint';
import { lineAmount, parseAmount, SALES_TAX_PERCENT, taxByRunningTotal } from './invoice-math';
import { defaults, type EntityType, isGuid, parseFilter, parseODataPath, writableFields } from './odata';
import { type BusinessCentralSubscription, createWebhookHub } from './webhooks';
import { addDays, bcError, checkIfMatch, createClock, etag, notFound, today } from './wire';

/**
 * One Business Central environment on loopback, as our ERP adapter uses it: the Entra token endpoint
 * (client credentials) and the environment's API v2.0 with one company, its customers, projects and
 * items, and sales invoices created as drafts (lines by deep insert or one by one), posted with the
 * bound action `Microsoft.NAV.post`, and paid in the back office. Plus BC's webhooks (./webhooks.ts),
 * BC's error document, `If-Match` on PATCH, Code fields upper-cased, and the per-user rate limit
 * answered with 429.
 *
 * URLs: `POST {url}/{tenantId}/oauth2/v2.0/token`, and the API root
 * `{url}/v2.0/{tenantId}/{environment}/api/v2.0` (`apiRoot`), as on api.businesscentral.dynamics.com.
 * Tax is the sandbox's own flat rule (./invoice-math.ts), standing in for a company's tax setup.
 * https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/
 */

/** An item invoice lines may name. */
export interface SandboxItem {
  readonly number: string;
  readonly displayName: string;
  /** @default 'Service' */
  readonly type?: 'Service' | 'Non-Inventory' | 'Inventory';
  /** The price a line gets when it names none. @default 0 */
  readonly unitPrice?: number;
  /** @default 'HOUR' for services, else 'PCS' */
  readonly baseUnitOfMeasureCode?: string;
}

/** Options of {@link startBusinessCentralSandbox}. */
export interface BusinessCentralSandboxOptions {
  /** The Entra tenant, a GUID or a domain: it names the token endpoint and the API root. */
  readonly tenantId: string;
  /** The environment's name, as in the API root (`Production`, `Sandbox`). */
  readonly environment: string;
  /** The Entra app registration the token endpoint knows. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** How long Entra's tokens live. @default 3599 */
  readonly tokenLifetimeSeconds?: number;
  /** The id of the environment's one company. @default a random GUID */
  readonly companyId?: string;
  /** The company's local currency: a document in it has a blank currency code, which BC reads back as this. @default 'USD' */
  readonly localCurrency?: string;
  /** Items invoice lines may name. @default '1000' time, '1001' expenses, '1002' milestones, all at price 0 */
  readonly items?: readonly SandboxItem[];
  /** Delivery attempts on 408, 429 and 5xx. @default 3 */
  readonly maxDeliveryAttempts?: number;
  /** API requests one client may make per sliding window before BC answers 429. @default 6000 (BC's documented limit) */
  readonly requestsPerWindow?: number;
  /** The sliding window of `requestsPerWindow`. @default 300_000 (five minutes) */
  readonly windowMs?: number;
  readonly port?: number;
  /** Routes public notification URLs to where the integration runs locally. */
  readonly network?: LocalNetwork;
}

/** A record as the API returns it: its documented properties and `@odata.etag`. */
export type ApiEntity = Readonly<Record<string, unknown>> & { readonly id: string; readonly '@odata.etag': string };

/** A sales invoice as the API returns it, with its lines. */
export type SalesInvoiceView = ApiEntity & {
  readonly number: string;
  readonly externalDocumentNumber: string;
  readonly status: 'Draft' | 'Open' | 'Paid';
  readonly totalAmountExcludingTax: number;
  readonly totalTaxAmount: number;
  readonly totalAmountIncludingTax: number;
  readonly remainingAmount: number;
  readonly lastModifiedDateTime: string;
  /** Present with `$expand=salesInvoiceLines`, and always in the back office's readers. */
  readonly salesInvoiceLines?: readonly ApiEntity[];
};

/** A running Business Central sandbox. */
export interface BusinessCentralSandbox extends RunningSandbox {
  /** `{url}/v2.0/{tenantId}/{environment}/api/v2.0`: every API path below starts here. */
  readonly apiRoot: string;
  /** `{url}/{tenantId}/oauth2/v2.0/token`, where Entra's token endpoint would be. */
  readonly tokenUrl: string;
  /** The id of the environment's one company. */
  readonly companyId: string;
  readonly subscriptions: ReadonlyMap<string, BusinessCentralSubscription>;
  /** Expires every access token issued so far: API calls answer 401 until the client fetches a new one. */
  revokeTokens(): void;
  /** Notifies `changes` changes to records of a collection as BC does (one `collection` notification above 1,000). Resolves when delivered. */
  change(resource: string, changes: number): Promise<number[]>;
  /**
   * The back office: records a customer payment on a posted invoice. `remainingAmount` goes down (a
   * payment above it closes the invoice), the status becomes `Paid` at zero, `lastModifiedDateTime`
   * moves, and the subscribers of the company's sales invoices are notified (`updated`). Resolves
   * with the delivery statuses; throws on an unknown or draft invoice or an amount that is not a
   * positive decimal with at most two places.
   */
  pay(invoiceId: string, amount: string): Promise<number[]>;
  /** Resolves once every notification the API's writes started has been delivered or given up; BC sends them after the write answers. */
  flushNotifications(): Promise<void>;
  /** The back office ages a subscription: it now expires `msLeft` from now (renewal tests need no three-day wait). */
  ageSubscription(subscriptionId: string, msLeft: number): void;
  invoices(): SalesInvoiceView[];
  invoice(id: string): SalesInvoiceView | undefined;
  customers(): ApiEntity[];
  projects(): ApiEntity[];
}

const DEFAULT_ITEMS: readonly SandboxItem[] = [
  { number: '1000', displayName: 'Professional services (time)', type: 'Service' },
  { number: '1001', displayName: 'Reimbursable expenses', type: 'Non-Inventory' },
  { number: '1002', displayName: 'Milestone billing', type: 'Service' },
];
/** The currencies the company has set up besides its local one. */
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'DKK', 'SEK', 'NOK'];
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
/** The environment of a sandbox started without options. */
const DEMO_ENVIRONMENT: BusinessCentralSandboxOptions = {
  tenantId: '7c9e4d2a-3b1f-4a6e-9d8c-5f2e1a0b3c4d',
  environment: 'Sandbox',
  clientId: '3f6a2c1e-8b4d-4e7f-a9c0-1d2e3f4a5b6c',
  clientSecret: 'sandbox-secret',
};

/** A customer, project or item: its writable properties as set, and its version for the ETag. */
interface StoredRecord {
  readonly id: string;
  fields: Record<string, unknown>;
  lastModifiedDateTime: string;
  version: number;
}

interface InvoiceLine {
  readonly id: string;
  readonly sequence: number;
  readonly lineType: 'Item' | 'Comment';
  readonly itemId: string;
  readonly lineObjectNumber: string;
  readonly description: string;
  readonly quantity: number;
  readonly unitPrice: number;
  readonly unitOfMeasureCode: string;
  /** Documented properties the sandbox keeps and returns without acting on them. */
  readonly extra: Record<string, unknown>;
}

interface Invoice {
  readonly id: string;
  number: string;
  externalDocumentNumber: string;
  invoiceDate: string;
  postingDate: string;
  dueDate: string;
  customer: StoredRecord;
  /** Blank for the local currency, as BC stores it. */
  currencyCode: string;
  extra: Record<string, unknown>;
  status: 'Draft' | 'Open' | 'Paid';
  paid: Decimal;
  readonly lines: InvoiceLine[];
  lastModifiedDateTime: string;
  version: number;
}

type Handler = (request: SandboxRequest, keys: readonly string[]) => SandboxResponse | Promise<SandboxResponse>;
type Outcome<T> = { ok: true; value: T } | { ok: false; response: SandboxResponse };

const dialog = (message: string) => bcError(400, 'Application_DialogException', message);
const invalidBody = () => bcError(400, 'BadRequest', 'Invalid Request Body');
const nonZero = (value: unknown) => typeof value === 'number' && value !== 0;
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Starts the sandbox. */
export async function startBusinessCentralSandbox(options: BusinessCentralSandboxOptions = DEMO_ENVIRONMENT): Promise<BusinessCentralSandbox> {
  const companyId = (options.companyId ?? randomUUID()).toLowerCase();
  const localCurrency = options.localCurrency ?? 'USD';
  const now = createClock();
  const createdAt = now();
  const entra = createEntraTokenEndpoint(options);
  const webhooks = createWebhookHub({
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? 3,
    userId: randomUUID(),
    now,
    ...(options.network ? { network: options.network } : {}),
  });
  const customers = new Map<string, StoredRecord>();
  const projects = new Map<string, StoredRecord>();
  const items = new Map<string, StoredRecord>();
  const invoices = new Map<string, Invoice>();
  // Number series as a new BC company has them: drafts S-INV…, posted invoices PS-INV…, customers C…, projects J….
  const series = { customer: 10, project: 10, draft: 102001, posted: 103001 };
  for (const item of options.items ?? DEFAULT_ITEMS) {
    const id = randomUUID();
    const unit = item.baseUnitOfMeasureCode ?? ((item.type ?? 'Service') === 'Service' ? 'HOUR' : 'PCS');
    items.set(id, {
      id,
      fields: {
        number: item.number.toUpperCase(),
        displayName: item.displayName,
        type: item.type ?? 'Service',
        unitPrice: item.unitPrice ?? 0,
        baseUnitOfMeasureCode: unit,
      },
      lastModifiedDateTime: createdAt,
      version: 1,
    });
  }

  const companyPath = (rest: string) => `companies(${companyId})/${rest}`;
  const bump = (record: { lastModifiedDateTime: string; version: number }) => {
    record.version += 1;
    record.lastModifiedDateTime = now();
  };
  const byNumber = (records: Map<string, StoredRecord>, number: string) => [...records.values()].find((r) => r.fields.number === number.toUpperCase());

  // BC reads a blank currency code back as the local currency's, and takes either on the way in.
  const currencyOf = (value: unknown): Outcome<string> => {
    const given = str(value).toUpperCase();
    if (given === '' || given === localCurrency) return { ok: true, value: '' };
    return CURRENCIES.includes(given) ? { ok: true, value: given } : { ok: false, response: dialog('The "currencyCode" does not match to a Currency.') };
  };

  const recordView = (type: EntityType, r: StoredRecord, extra: Record<string, unknown> = {}): ApiEntity => ({
    '@odata.etag': etag(r.id, r.version),
    ...defaults(type),
    ...r.fields,
    ...extra,
    id: r.id,
  });
  const customerView = (c: StoredRecord) =>
    recordView(CUSTOMER, c, {
      type: str(c.fields.type) || 'Company',
      blocked: str(c.fields.blocked) || ' ',
      currencyCode: str(c.fields.currencyCode) || localCurrency,
      balanceDue: 0,
      taxAreaDisplayName: '',
      lastModifiedDateTime: c.lastModifiedDateTime,
    });
  const projectView = (p: StoredRecord) => recordView(PROJECT, p);
  const itemView = (i: StoredRecord) => recordView(ITEM, i, { lastModifiedDateTime: i.lastModifiedDateTime });

  const totals = (invoice: Invoice) => {
    const amounts = invoice.lines.map((l) => (l.lineType === 'Item' ? lineAmount(l.quantity, l.unitPrice) : new Decimal(0)));
    const taxes = taxByRunningTotal(amounts, SALES_TAX_PERCENT);
    const excluding = Decimal.sum(0, ...amounts);
    const tax = Decimal.sum(0, ...taxes);
    return { amounts, taxes, excluding, tax, including: excluding.plus(tax) };
  };
  const lineView = (invoice: Invoice, line: InvoiceLine, amount: Decimal, tax: Decimal): ApiEntity => ({
    '@odata.etag': etag(line.id, invoice.version),
    ...defaults(SALES_INVOICE_LINE),
    ...line.extra,
    id: line.id,
    documentId: invoice.id,
    sequence: line.sequence,
    itemId: line.itemId,
    lineType: line.lineType,
    lineObjectNumber: line.lineObjectNumber,
    description: line.description,
    unitOfMeasureCode: line.unitOfMeasureCode,
    unitPrice: line.unitPrice,
    quantity: line.quantity,
    amountExcludingTax: amount.toNumber(),
    taxPercent: line.lineType === 'Item' ? SALES_TAX_PERCENT : 0,
    totalTaxAmount: tax.toNumber(),
    amountIncludingTax: amount.plus(tax).toNumber(),
    invoiceDiscountAllocation: 0,
    netAmount: amount.toNumber(),
    netTaxAmount: tax.toNumber(),
    netAmountIncludingTax: amount.plus(tax).toNumber(),
  });
  const linesOf = (invoice: Invoice): ApiEntity[] => {
    const { amounts, taxes } = totals(invoice);
    return invoice.lines.map((l, i) => lineView(invoice, l, amounts[i]!, taxes[i]!));
  };
  const invoiceView = (invoice: Invoice, withLines: boolean): SalesInvoiceView => {
    const { excluding, tax, including } = totals(invoice);
    return {
      '@odata.etag': etag(invoice.id, invoice.version),
      ...defaults(SALES_INVOICE),
      ...invoice.extra,
      id: invoice.id,
      number: invoice.number,
      externalDocumentNumber: invoice.externalDocumentNumber,
      invoiceDate: invoice.invoiceDate,
      postingDate: invoice.postingDate,
      dueDate: invoice.dueDate,
      customerId: invoice.customer.id,
      customerNumber: str(invoice.customer.fields.number),
      customerName: str(invoice.customer.fields.displayName),
      billToName: str(invoice.customer.fields.displayName),
      billToCustomerId: invoice.customer.id,
      billToCustomerNumber: str(invoice.customer.fields.number),
      currencyCode: invoice.currencyCode || localCurrency,
      orderId: ZERO_GUID,
      orderNumber: '',
      pricesIncludeTax: false,
      // A draft is not yet receivable: BC shows its whole amount as remaining.
      remainingAmount: (invoice.status === 'Draft' ? including : including.minus(invoice.paid)).toNumber(),
      discountAmount: 0,
      discountAppliedBeforeTax: false,
      totalAmountExcludingTax: excluding.toNumber(),
      totalTaxAmount: tax.toNumber(),
      totalAmountIncludingTax: including.toNumber(),
      status: invoice.status,
      lastModifiedDateTime: invoice.lastModifiedDateTime,
      ...(withLines ? { salesInvoiceLines: linesOf(invoice) } : {}),
    };
  };
  // `$expand=salesInvoiceLines` is the one navigation the sandbox expands; the lines are omitted otherwise.
  const expandsLines = (request: SandboxRequest, type: EntityType): Outcome<boolean> => {
    const expand = request.query.get('$expand');
    if (expand === null) return { ok: true, value: false };
    const unknown = expand
      .split(',')
      .map((e) => e.trim())
      .find((e) => !(type === SALES_INVOICE && e === 'salesInvoiceLines'));
    return unknown === undefined
      ? { ok: true, value: true }
      : { ok: false, response: bcError(400, 'BadRequest_NotFound', `Could not find a property named '${unknown}' on type 'Microsoft.NAV.${type.name}'.`) };
  };

  /** A collection's entities as the API returns them, narrowed by `$filter` and `$top`. */
  const query = <T extends ApiEntity>(request: SandboxRequest, type: EntityType, all: readonly T[]): Outcome<T[]> => {
    let value = [...all];
    const filter = request.query.get('$filter');
    if (filter !== null) {
      const parsed = parseFilter(filter, type);
      if (!parsed.ok) return parsed;
      value = value.filter(parsed.filter);
    }
    const top = Number(request.query.get('$top') ?? value.length);
    return { ok: true, value: value.slice(0, Number.isInteger(top) && top >= 0 ? top : value.length) };
  };
  const list =
    (type: EntityType, all: () => ApiEntity[]): Handler =>
    (request) => {
      const found = query(request, type, all());
      return found.ok ? { status: 200, json: { value: found.value } } : found.response;
    };

  /** Customers and projects: created with a unique Code[20] number (from a number series when none is given), read, and patched. */
  const masterData = (
    type: EntityType,
    records: Map<string, StoredRecord>,
    view: (r: StoredRecord) => ApiEntity,
    options: { table: string; series: 'customer' | 'project'; prefix: string; notifies: boolean },
  ) => {
    const duplicate = (number: string) =>
      bcError(400, 'Internal_EntityWithSameKeyExists', `The ${options.table} already exists. Identification fields and values: No.='${number}'`);
    const check = (fields: Record<string, unknown>): SandboxResponse | undefined => {
      if (type !== CUSTOMER) return undefined;
      if (fields.type !== undefined && fields.type !== 'Company' && fields.type !== 'Person')
        return bcError(400, 'BadRequest', `Cannot convert the literal '${String(fields.type)}' to the expected type 'Microsoft.NAV.contactType'.`);
      if (fields.currencyCode === undefined) return undefined;
      const currency = currencyOf(fields.currencyCode);
      if (!currency.ok) return currency.response;
      fields.currencyCode = currency.value;
      return undefined;
    };
    const notify = (record: StoredRecord, change: 'created' | 'updated') => {
      if (options.notifies) void webhooks.notify(companyPath(`${type.name}s(${record.id})`), change);
    };
    const create: Handler = (request) => {
      const body = readJson(request);
      if (!body.ok) return invalidBody();
      const checked = writableFields(body.value, type);
      if (!checked.ok) return checked.response;
      const fields = checked.fields;
      if (!str(fields.number)) {
        fields.number = `${options.prefix}${String(series[options.series]).padStart(5, '0')}`;
        series[options.series] += 10;
      }
      if (byNumber(records, str(fields.number))) return duplicate(str(fields.number));
      const refused = check(fields);
      if (refused) return refused;
      const record: StoredRecord = { id: randomUUID(), fields, lastModifiedDateTime: now(), version: 1 };
      records.set(record.id, record);
      notify(record, 'created');
      return { status: 201, json: view(record) };
    };
    const read: Handler = (_request, keys) => {
      const record = records.get(keys[1]!.toLowerCase());
      return record ? { status: 200, json: view(record) } : notFound(`${type.name}s`);
    };
    const patch: Handler = (request, keys) => {
      const record = records.get(keys[1]!.toLowerCase());
      if (!record) return notFound(`${type.name}s`);
      const stale = checkIfMatch(request, etag(record.id, record.version));
      if (stale) return stale;
      const body = readJson(request);
      if (!body.ok) return invalidBody();
      const checked = writableFields(body.value, type);
      if (!checked.ok) return checked.response;
      const renamed = checked.fields.number;
      if (typeof renamed === 'string' && renamed !== record.fields.number && byNumber(records, renamed)) return duplicate(renamed);
      const refused = check(checked.fields);
      if (refused) return refused;
      Object.assign(record.fields, checked.fields);
      bump(record);
      notify(record, 'updated');
      return { status: 200, json: view(record) };
    };
    return { GET: list(type, () => [...records.values()].map(view)), POST: create, read, patch };
  };
  const customerApi = masterData(CUSTOMER, customers, customerView, { table: 'Customer', series: 'customer', prefix: 'C', notifies: true });
  const projectApi = masterData(PROJECT, projects, projectView, { table: 'Project', series: 'project', prefix: 'J', notifies: false });

  // The sell-to customer by id or number, with the errors of BC's salesInvoices API page.
  const sellToCustomer = (customerId: unknown, customerNumber: unknown): Outcome<StoredRecord> => {
    if (customerId === undefined && !customerNumber) return { ok: false, response: dialog('A customerNumber or a customerId must be provided.') };
    const byId = customerId === undefined ? undefined : customers.get(str(customerId));
    const byNo = customerNumber ? byNumber(customers, str(customerNumber)) : undefined;
    if ((customerId !== undefined && !byId) || (customerNumber && !byNo)) return { ok: false, response: dialog('The sell-to customer cannot be found.') };
    if (byId && byNo && byId !== byNo) return { ok: false, response: dialog('The sell-to customer values do not match to a specific Customer.') };
    return { ok: true, value: (byId ?? byNo)! };
  };

  const buildLine = (raw: unknown, invoice: Invoice): Outcome<InvoiceLine> => {
    const checked = writableFields(raw, SALES_INVOICE_LINE);
    if (!checked.ok) return checked;
    const {
      lineType: givenType,
      itemId,
      lineObjectNumber,
      sequence,
      description,
      quantity,
      unitPrice,
      unitOfMeasureCode,
      discountAmount,
      discountPercent,
      documentId,
      ...extra
    } = checked.fields;
    if (nonZero(discountAmount) || nonZero(discountPercent)) return { ok: false, response: dialog('The sandbox does not model line discounts.') };
    const lineType = givenType ?? (itemId !== undefined || lineObjectNumber !== undefined ? 'Item' : 'Comment');
    if (lineType !== 'Item' && lineType !== 'Comment')
      return { ok: false, response: dialog(`The sandbox supports lineType 'Item' and 'Comment', not '${String(lineType)}'.`) };
    if (typeof sequence === 'number' && invoice.lines.some((l) => l.sequence === sequence))
      return { ok: false, response: dialog('You cannot insert a line with a duplicate sequence number.') };
    const next = typeof sequence === 'number' ? sequence : Math.max(0, ...invoice.lines.map((l) => l.sequence)) + 10000;
    if (lineType === 'Comment') {
      if (nonZero(quantity) || nonZero(unitPrice)) return { ok: false, response: dialog('A comment line has no quantity or unit price.') };
      return {
        ok: true,
        value: {
          id: randomUUID(),
          sequence: next,
          lineType,
          itemId: ZERO_GUID,
          lineObjectNumber: '',
          description: str(description),
          quantity: 0,
          unitPrice: 0,
          unitOfMeasureCode: '',
          extra,
        },
      };
    }
    // The salesInvoiceLines API page refuses an unknown itemId or lineObjectNumber with the same words.
    const byId = itemId === undefined ? undefined : items.get(str(itemId));
    const byNo = lineObjectNumber === undefined ? undefined : byNumber(items, str(lineObjectNumber));
    const item = byId ?? byNo;
    if (!item || (itemId !== undefined && !byId) || (lineObjectNumber !== undefined && !byNo) || (byId && byNo && byId !== byNo))
      return { ok: false, response: dialog('Item does not exist.') };
    return {
      ok: true,
      value: {
        id: randomUUID(),
        sequence: next,
        lineType,
        itemId: item.id,
        lineObjectNumber: str(item.fields.number),
        description: description === undefined ? str(item.fields.displayName) : str(description),
        quantity: typeof quantity === 'number' ? quantity : 0,
        unitPrice: typeof unitPrice === 'number' ? unitPrice : Number(item.fields.unitPrice ?? 0),
        unitOfMeasureCode: str(unitOfMeasureCode) || str(item.fields.baseUnitOfMeasureCode),
        extra,
      },
    };
  };

  const invoiceOf = (keys: readonly string[]) => invoices.get(keys[1]!.toLowerCase());
  const notifyInvoice = (invoice: Invoice, change: 'created' | 'updated') => webhooks.notify(companyPath(`salesInvoices(${invoice.id})`), change);
  const postedRefusal = () => dialog('The invoice has been posted and can no longer be modified.');

  /** Header fields a draft takes at creation and by PATCH; customer and currency are resolved, the rest kept as documented properties. */
  const applyHeader = (invoice: Invoice, fields: Record<string, unknown>): SandboxResponse | undefined => {
    const {
      number,
      externalDocumentNumber,
      invoiceDate,
      postingDate,
      dueDate,
      customerId,
      customerNumber,
      currencyCode,
      currencyId,
      discountAmount,
      billToCustomerId,
      billToCustomerNumber,
      ...extra
    } = fields;
    // BC's invoice number series does not allow manual numbers.
    if (number !== undefined)
      return dialog('You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series S-INV.');
    if (nonZero(discountAmount)) return dialog('The sandbox does not model invoice discounts.');
    if (customerId !== undefined || customerNumber !== undefined) {
      const customer = sellToCustomer(customerId, customerNumber);
      if (!customer.ok) return customer.response;
      invoice.customer = customer.value;
    }
    if (currencyCode !== undefined) {
      const currency = currencyOf(currencyCode);
      if (!currency.ok) return currency.response;
      invoice.currencyCode = currency.value;
    }
    if (externalDocumentNumber !== undefined) invoice.externalDocumentNumber = str(externalDocumentNumber);
    if (invoiceDate !== undefined) invoice.invoiceDate = str(invoiceDate);
    if (postingDate !== undefined) invoice.postingDate = str(postingDate);
    if (dueDate !== undefined) invoice.dueDate = str(dueDate);
    Object.assign(invoice.extra, extra);
    return undefined;
  };

  const createInvoice: Handler = (request) => {
    const body = readJson<Record<string, unknown>>(request);
    if (!body.ok) return invalidBody();
    const checked = writableFields(body.value, SALES_INVOICE, ['salesInvoiceLines']);
    if (!checked.ok) return checked.response;
    const lines = body.value.salesInvoiceLines;
    if (lines !== undefined && !Array.isArray(lines)) return invalidBody();
    const expand = expandsLines(request, SALES_INVOICE);
    if (!expand.ok) return expand.response;
    const customer = sellToCustomer(checked.fields.customerId, checked.fields.customerNumber);
    if (!customer.ok) return customer.response;
    const invoiceDate = str(checked.fields.invoiceDate) || today();
    const invoice: Invoice = {
      id: randomUUID(),
      number: `S-INV${series.draft}`,
      externalDocumentNumber: '',
      invoiceDate,
      postingDate: str(checked.fields.postingDate) || invoiceDate,
      // The sandbox company's payment terms: 30 days.
      dueDate: str(checked.fields.dueDate) || addDays(invoiceDate, 30),
      customer: customer.value,
      currencyCode: '',
      extra: {},
      status: 'Draft',
      paid: new Decimal(0),
      lines: [],
      lastModifiedDateTime: now(),
      version: 1,
    };
    const refused = applyHeader(invoice, checked.fields);
    if (refused) return refused;
    // A deep insert is all or nothing: one bad line refuses the invoice.
    for (const raw of lines ?? []) {
      const line = buildLine(raw, invoice);
      if (!line.ok) return line.response;
      invoice.lines.push(line.value);
    }
    series.draft += 1;
    invoices.set(invoice.id, invoice);
    void notifyInvoice(invoice, 'created');
    return { status: 201, json: invoiceView(invoice, expand.value) };
  };

  const readInvoice: Handler = (request, keys) => {
    const invoice = invoiceOf(keys);
    if (!invoice) return notFound('salesInvoices');
    const expand = expandsLines(request, SALES_INVOICE);
    return expand.ok ? { status: 200, json: invoiceView(invoice, expand.value) } : expand.response;
  };

  const patchInvoice: Handler = (request, keys) => {
    const invoice = invoiceOf(keys);
    if (!invoice) return notFound('salesInvoices');
    const stale = checkIfMatch(request, etag(invoice.id, invoice.version));
    if (stale) return stale;
    if (invoice.status !== 'Draft') return postedRefusal();
    const body = readJson(request);
    if (!body.ok) return invalidBody();
    const checked = writableFields(body.value, SALES_INVOICE);
    if (!checked.ok) return checked.response;
    // Validate on a copy, so a refused PATCH changes nothing.
    const draft: Invoice = { ...invoice, extra: { ...invoice.extra } };
    const refused = applyHeader(draft, checked.fields);
    if (refused) return refused;
    Object.assign(invoice, draft);
    bump(invoice);
    void notifyInvoice(invoice, 'updated');
    return { status: 200, json: invoiceView(invoice, false) };
  };

  const listInvoices: Handler = (request) => {
    const expand = expandsLines(request, SALES_INVOICE);
    if (!expand.ok) return expand.response;
    const found = query(
      request,
      SALES_INVOICE,
      [...invoices.values()].map((i) => invoiceView(i, false)),
    );
    if (!found.ok) return found.response;
    return { status: 200, json: { value: expand.value ? found.value.map((v) => invoiceView(invoices.get(v.id)!, true)) : found.value } };
  };

  const addLine: Handler = (request, keys) => {
    const invoice = invoiceOf(keys);
    if (!invoice) return notFound('salesInvoices');
    if (invoice.status !== 'Draft') return postedRefusal();
    const body = readJson(request);
    if (!body.ok) return invalidBody();
    const line = buildLine(body.value, invoice);
    if (!line.ok) return line.response;
    invoice.lines.push(line.value);
    // A change to a line is a change to its document: BC notifies the header's subscribers.
    bump(invoice);
    void notifyInvoice(invoice, 'updated');
    return { status: 201, json: linesOf(invoice).find((l) => l.id === line.value.id) };
  };

  const listLines: Handler = (request, keys) => {
    const invoice = invoiceOf(keys);
    return invoice ? list(SALES_INVOICE_LINE, () => linesOf(invoice))(request, keys) : notFound('salesInvoices');
  };

  /** `Microsoft.NAV.post`: the draft becomes a posted invoice with the same id, a posted number and an open balance. 204, no body. */
  const post: Handler = (request, keys) => {
    const invoice = invoiceOf(keys);
    if (!invoice) return notFound('salesInvoices');
    const stale = checkIfMatch(request, etag(invoice.id, invoice.version), false);
    if (stale) return stale;
    if (invoice.status !== 'Draft') return dialog('The action can be applied to a draft invoice only.');
    if (!invoice.lines.some((l) => l.lineType === 'Item' && l.quantity !== 0)) return dialog('There is nothing to post.');
    invoice.number = `PS-INV${series.posted++}`;
    // A zero invoice is closed as it is posted.
    invoice.status = totals(invoice).including.isZero() ? 'Paid' : 'Open';
    bump(invoice);
    void notifyInvoice(invoice, 'updated');
    return { status: 204 };
  };

  const company = (): ApiEntity => ({
    '@odata.etag': etag(companyId, 1),
    id: companyId,
    systemVersion: '26.0.0.0',
    name: 'CRONUS',
    displayName: 'CRONUS Professional Services',
    businessProfileId: '',
    systemCreatedAt: createdAt,
    systemModifiedAt: createdAt,
  });

  // The API below the root, by OData path shape (keys replaced by `()`), then method.
  const api: Record<string, Partial<Record<string, Handler>>> = {
    companies: { GET: list(COMPANY, () => [company()]) },
    'companies()': { GET: () => ({ status: 200, json: company() }) },
    'companies()/customers': { GET: customerApi.GET, POST: customerApi.POST },
    'companies()/customers()': { GET: customerApi.read, PATCH: customerApi.patch },
    'companies()/projects': { GET: projectApi.GET, POST: projectApi.POST },
    'companies()/projects()': { GET: projectApi.read, PATCH: projectApi.patch },
    'companies()/items': { GET: list(ITEM, () => [...items.values()].map(itemView)) },
    'companies()/items()': {
      GET: (_r, keys) => {
        const item = items.get(keys[1]!.toLowerCase());
        return item ? { status: 200, json: itemView(item) } : notFound('items');
      },
    },
    'companies()/salesInvoices': { GET: listInvoices, POST: createInvoice },
    'companies()/salesInvoices()': { GET: readInvoice, PATCH: patchInvoice },
    'companies()/salesInvoices()/salesInvoiceLines': { GET: listLines, POST: addLine },
    'companies()/salesInvoices()/Microsoft.NAV.post': { POST: post },
    subscriptions: { GET: () => webhooks.read(), POST: (request) => webhooks.create(request) },
    'subscriptions()': {
      GET: (_r, keys) => webhooks.read(keys[0]),
      PATCH: (request, keys) => webhooks.renew(request, keys[0]!),
      DELETE: (_r, keys) => webhooks.remove(keys[0]!),
    },
  };

  const apiPath = `/v2.0/${options.tenantId}/${options.environment}/api/v2.0`;
  const dispatch = (request: SandboxRequest): SandboxResponse | Promise<SandboxResponse> => {
    const path = parseODataPath(request.path.slice(apiPath.length));
    const segment = request.path.split('/').pop() ?? '';
    if (!path) return bcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
    const methods = api[path.shape];
    if (!methods) return notFound(segment);
    const handle = methods[request.method];
    if (!handle) {
      return bcError(
        405,
        'BadRequest_MethodNotAllowed',
        `'${request.method}' requests for '${path.shape.split('/').pop()!.replace('()', '')}' are not allowed within Microsoft Dynamics 365 Business Central OData web services.`,
      );
    }
    if (path.shape.startsWith('companies()/') && path.keys[0]?.toLowerCase() !== companyId) return notFound('companies');
    if (path.shape === 'companies()' && path.keys[0]?.toLowerCase() !== companyId) return notFound('companies');
    if (path.shape.startsWith('companies()/') && path.keys.slice(1).some((k) => !isGuid(k)))
      return bcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
    return handle(request, path.keys);
  };

  // BC's limit is per user (here: per app registration) over a five-minute sliding window. The kit's
  // limiter counts fixed windows of all traffic, the token endpoint included, so the sandbox keeps its own.
  const windows = new Map<string, number[]>();
  const throttle = (principal: string): SandboxResponse | undefined => {
    const limit = options.requestsPerWindow ?? 6000;
    const windowMs = options.windowMs ?? 300_000;
    const at = Date.now();
    const times = windows.get(principal) ?? [];
    windows.set(principal, times);
    while (times.length > 0 && times[0]! <= at - windowMs) times.shift();
    if (times.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil((times[0]! + windowMs - at) / 1000));
      return bcError(429, 'Application_TooManyRequests', `Too many requests reached. Actual (${times.length + 1}). Maximum (${limit}).`, {
        'retry-after': String(retryAfter),
      });
    }
    times.push(at);
    return undefined;
  };

  const routes: SandboxRoute[] = [
    { method: 'POST', pattern: '/:tenant/oauth2/v2.0/token', handle: (request) => entra.issue(request) },
    ...['GET', 'POST', 'PATCH', 'DELETE'].flatMap((method) =>
      [1, 2, 3, 4].map((depth) => ({ method, pattern: `${apiPath}${Array.from({ length: depth }, (_, i) => `/:s${i}`).join('')}`, handle: dispatch })),
    ),
  ];

  const sandbox = await startSandbox({
    name: 'business-central',
    ...(options.port === undefined ? {} : { port: options.port }),
    authenticate: (request) => {
      if (request.path.startsWith('/__sandbox/') || /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(request.path)) return undefined;
      const principal = entra.principal(request.headers.authorization);
      if (principal === undefined) {
        return bcError(401, 'Authentication_InvalidCredentials', 'The server has rejected the client credentials.', {
          'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${options.tenantId}/oauth2/authorize", resource_id="https://api.businesscentral.dynamics.com"`,
        });
      }
      return throttle(principal);
    },
    notFound: (request) => notFound(request.path.split('/').pop() ?? ''),
    routes,
  });

  return {
    ...sandbox,
    apiRoot: `${sandbox.url}${apiPath}`,
    tokenUrl: `${sandbox.url}/${options.tenantId}/oauth2/v2.0/token`,
    companyId,
    subscriptions: webhooks.subscriptions,
    revokeTokens: () => entra.revoke(),
    change: (resource, changes) => webhooks.change(resource, changes),
    async pay(invoiceId, amount) {
      const invoice = invoices.get(invoiceId.toLowerCase());
      if (!invoice) throw new Error(`no sales invoice ${invoiceId}`);
      if (invoice.status === 'Draft') throw new Error(`sales invoice ${invoice.number} is a draft: post it before recording a payment`);
      const value = parseAmount(amount);
      if (value === undefined) throw new Error(`a payment is a positive amount with at most two decimals, not '${amount}'`);
      const { including } = totals(invoice);
      const remaining = including.minus(invoice.paid);
      if (remaining.lte(0)) throw new Error(`sales invoice ${invoice.number} is already paid`);
      // A payment above what is due closes the invoice; the excess stays on the customer's account.
      invoice.paid = invoice.paid.plus(Decimal.min(value, remaining));
      invoice.status = including.minus(invoice.paid).isZero() ? 'Paid' : 'Open';
      bump(invoice);
      return notifyInvoice(invoice, 'updated');
    },
    flushNotifications: () => webhooks.flush(),
    ageSubscription: (subscriptionId, msLeft) => webhooks.age(subscriptionId, msLeft),
    invoices: () => [...invoices.values()].map((i) => invoiceView(i, true)),
    invoice: (id) => {
      const invoice = invoices.get(id.toLowerCase());
      return invoice ? invoiceView(invoice, true) : undefined;
    },
    customers: () => [...customers.values()].map(customerView),
    projects: () => [...projects.values()].map(projectView),
  };
}
