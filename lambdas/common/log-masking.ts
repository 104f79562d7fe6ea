import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Personal and financial data kept out of the logs. The flows carry deals, customers and people between
 * the CRM, the PSA and the ERP: names, addresses, e-mails and bank details must not reach CloudWatch,
 * where retention, access and export follow other rules than the vendors' (GDPR and customer contracts).
 * Every log line goes through {@link MaskingLogFormatter}, so a handler that logs a vendor record or an
 * error's details cannot leak them by mistake; the masked key stays on the line with `***`, so a reader
 * sees that something was there. Ids, correlation ids, reasons, statuses and instance names are not
 * personal and are kept: they are what operators search by.
 */

/** The value a masked key's value is replaced with. */
export const MASKED = '***';
/** What an e-mail address in any text is replaced with. */
export const MASKED_EMAIL = '***@***';

/** Keys whose values are personal data of deals, customers and people, masked on every line. */
export const MASKED_FIELDS: readonly string[] = [
  // Names of people, companies and deals
  'name',
  'firstName',
  'lastName',
  'fullName',
  'contactName',
  'companyName',
  'dealname',
  'dealName',
  'customerName',
  'displayName',
  // Contact details
  'email',
  'phone',
  'mobile',
  // Addresses
  'address',
  'addr1',
  'addr2',
  'street',
  'city',
  'zip',
  'postalCode',
  'billingAddress',
  'addressBook',
  // Bank and tax identifiers
  'iban',
  'bic',
  'accountNumber',
  'routingNumber',
  'bankAccount',
  'taxId',
  'vatNumber',
  'ssn',
  'nationalId',
  // A webhook's changed value (HubSpot's `propertyValue`): whichever property changed, a name or an address included
  'propertyValue',
];

/**
 * Keys whose values are credentials, masked on every line: what an invocation event carries when it is
 * logged (`POWERTOOLS_LOGGER_LOG_EVENT`, runtime.ts): the ops API's SigV4 `Authorization` header and
 * session token, a Business Central notification's `clientState` (the shared secret that authenticates
 * it, in the webhook's body and in the queued message), and the usual names of secrets in vendor answers.
 */
export const SECRET_FIELDS: readonly string[] = [
  'authorization',
  'proxyAuthorization',
  'cookie',
  'setCookie',
  'xAmzSecurityToken',
  'clientState',
  'clientSecret',
  'accessToken',
  'refreshToken',
  'password',
  'apiKey',
  'xApiKey',
];

/** Money amounts: commercial data, masked only where a deployment asks (`maskAmounts`). */
export const AMOUNT_FIELDS: readonly string[] = [
  'amount',
  'amountInCents',
  'total',
  'subtotal',
  'totalAmount',
  'unitPrice',
  'price',
  'billRate',
  'rate',
  'balance',
  'amountDue',
  'amountPaid',
  // The canonical Money's minor units, wherever a line carries one (money at stake, unbilled value)
  'amountMinor',
];

/** Options of {@link MaskingLogFormatter}. */
export interface MaskingOptions {
  /** Further keys to mask, matched as the default ones are. */
  readonly extraFields?: readonly string[];
  /** Also mask money amounts ({@link AMOUNT_FIELDS}). @default false */
  readonly maskAmounts?: boolean;
}

/** A key as it is matched: lower case, without `_` and `-` (`billing_address` and `billingAddress` are one key). */
export function normalizedKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** E-mail addresses in free text (vendors echo them in messages and error details). */
const EMAIL = /[\w.%+-]+@[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}/gi;

/** A text with every e-mail address in it masked. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, MASKED_EMAIL);
}

/** The keys Powertools gives a formatted error; their values are the error's own, not personal data by key. */
const ERROR_KEYS: ReadonlySet<string> = new Set(['name', 'location', 'message', 'stack', 'cause']);

/**
 * The Powertools default JSON shape (level, message, timestamp, service, cold start, function and
 * request, sampling rate, X-Ray trace, then the extra keys), with every extra key's value masked, at any
 * depth, when its key is personal data or a credential, and e-mail addresses masked in every text, the message included.
 * A text holding a JSON object or array (an SQS record's body, a vendor's answer) is masked inside.
 * Errors are formatted here as Powertools formats them, so their own attributes are masked too; their
 * name, message and stack stay, with e-mail addresses masked. Nothing the caller passed is changed.
 */
export class MaskingLogFormatter extends LogFormatter {
  readonly #masked: ReadonlySet<string>;

  constructor(options: MaskingOptions = {}) {
    super();
    this.#masked = new Set(
      [...MASKED_FIELDS, ...SECRET_FIELDS, ...(options.maskAmounts ? AMOUNT_FIELDS : []), ...(options.extraFields ?? [])]
        .map(normalizedKey)
        .filter((k) => k !== ''),
    );
  }

  /** Whether a key's value is masked. */
  isMasked(key: string): boolean {
    return this.#masked.has(normalizedKey(key));
  }

  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: typeof attributes.message === 'string' ? this.#maskText(attributes.message) : attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      tenant_id: attributes.lambdaContext?.tenantId,
    };
    return new LogItem({ attributes: base }).addAttributes(this.#maskObject(additionalLogAttributes, []) as LogAttributes);
  }

  /** A value made safe to print, without touching the original (the logger's keys are shared between lines). */
  #mask(key: string, value: unknown, ancestors: object[]): unknown {
    if (value === undefined || value === null || value === '') return value;
    if (this.isMasked(key)) return MASKED;
    return this.#maskValue(key, value, ancestors);
  }

  #maskValue(key: string, value: unknown, ancestors: object[]): unknown {
    if (typeof value === 'string') return this.#maskText(value);
    if (typeof value !== 'object' || value === null) return value;
    // As JSON.stringify would: a value's toJSON (dates, decimals, buffers) first, then what it gives.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(value, key);
      return json === value ? json : this.#maskValue(key, json, ancestors);
    }
    // A circular reference is left out, as Powertools' serializer does.
    if (ancestors.includes(value)) return undefined;
    const path = [...ancestors, value];
    if (Array.isArray(value)) return value.map((item, index) => this.#mask(String(index), item, path) ?? null);
    if (value instanceof Error) return this.#maskError(value, path);
    return this.#maskObject(value as Record<string, unknown>, path);
  }

  /**
   * A text with e-mail addresses masked; a text that is a JSON object or array (a record's body, a
   * vendor's answer) is masked as the value it holds, and printed again only if something was masked.
   */
  #maskText(text: string): string {
    const start = text.trimStart()[0];
    if (start === '{' || start === '[') {
      try {
        const parsed: unknown = JSON.parse(text);
        const masked = JSON.stringify(this.#maskValue('', parsed, []));
        return masked === JSON.stringify(parsed) ? text : masked;
      } catch {
        // Not JSON after all: plain text.
      }
    }
    return maskEmails(text);
  }

  #maskObject(value: Record<string, unknown>, ancestors: object[]): Record<string, unknown> {
    const masked: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) masked[key] = this.#mask(key, item, ancestors);
    return masked;
  }

  /** An error as Powertools formats it, its own attributes masked like any others. */
  #maskError(error: Error, ancestors: object[]): Record<string, unknown> {
    const formatted = this.formatError(error);
    const masked: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(formatted)) {
      if (!ERROR_KEYS.has(key)) masked[key] = this.#mask(key, item, ancestors);
      // A cause that is an error is formatted the same way; another cause is any value.
      else if (key === 'cause') masked[key] = this.#maskValue(key, error.cause, ancestors);
      else if (typeof item === 'string') masked[key] = this.#maskText(item);
      else if (Array.isArray(item)) masked[key] = item.map((line: unknown) => (typeof line === 'string' ? this.#maskText(line) : line));
      else masked[key] = item;
    }
    return masked;
  }
}

/**
 * The formatter's options from the function's environment: `LOG_MASK_FIELDS`, further keys separated by
 * commas, and `LOG_MASK_AMOUNTS`, `true` to mask money amounts too.
 */
export function maskingOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): MaskingOptions {
  const extraFields = (env.LOG_MASK_FIELDS ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  return { extraFields, maskAmounts: env.LOG_MASK_AMOUNTS?.trim().toLowerCase() === 'true' };
}
