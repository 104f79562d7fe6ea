import { type CrmFieldNames, callOptionsClientOf, type DeploymentConfig } from '../../canonical';
import { type BusinessCentralCredentials, BusinessCentralErp } from '../business-central/business-central-erp';
import { CertiniaPsa } from '../certinia/certinia-psa';
import type { AuditTrail } from '../common/audit-trail';
import { salesforceSessions } from '../common/salesforce-platform/oauth';
import { SalesforceRestClient } from '../common/salesforce-platform/rest-client';
import type { WriteJournal } from '../common/write-journal';
import { HubSpotAccessTokens, hubSpotCredentials } from '../hubspot/hubspot-auth';
import { HubSpotCrm } from '../hubspot/hubspot-crm';
import { KantataPsa } from '../kantata/kantata-psa';
import { type NetSuiteCredentials, NetSuiteErp } from '../netsuite/netsuite-erp';
import type { CrmBillingPort, CrmPort } from '../ports/crm';
import type { ErpPort, InvoiceReadPort, InvoicingPort, PaymentsPort } from '../ports/erp';
import type { PsaBillingPort, PsaInvoiceReadPort, PsaPort } from '../ports/psa';
import { SalesforceCrm } from '../salesforce/salesforce-crm';

/** Credentials of a vendor instance, read from its secret (cached) or re-read after a 401. */
export type SecretReader = (instanceId: string, options?: { forceFetch?: boolean }) => Promise<Record<string, unknown>>;

/** Per-call context the adapters stamp on audit entries. */
export interface CallContext {
  readonly audit: AuditTrail;
  readonly execution: string;
  readonly correlationId: string;
  /** Where a multi-write step keeps its progress (the PSA shell); without it, adapters look before they make. */
  readonly journal?: WriteJournal;
}

/** Runs a vendor call within the instance's concurrency limit (see ConcurrencyLimit). */
export type Limiter = <T>(instance: string, maxConcurrency: number, call: () => Promise<T>) => Promise<T>;

/** Wraps every method of a port so each call holds one of the instance's concurrency slots. */
function limited<T extends object>(port: T, instance: { id: string; maxConcurrency: number }, limiter: Limiter): T {
  // The limiter receives the instance's configured limit; the caller's binding applies the region share.
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => limiter(instance.id, instance.maxConcurrency, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** The instance's request timeout, when its configuration sets one. */
function timeoutOf(instance: { requestTimeoutMs?: number | undefined }): { requestTimeoutMs?: number } {
  return instance.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: instance.requestTimeoutMs };
}

function instanceOf(config: DeploymentConfig, id: string) {
  const instance = config.vendorInstances.find((v) => v.id === id);
  if (instance === undefined) throw new Error(`Vendor instance ${id} is not configured`);
  return instance;
}

/**
 * The one place that picks an adapter by vendor. Workflows ask for a port by instance id and never
 * test which vendor is behind it.
 */
export function adapters(config: DeploymentConfig, secrets: SecretReader, context: CallContext, limiter: Limiter) {
  const erp = (id: string): NetSuiteErp | BusinessCentralErp => {
    const instance = instanceOf(config, id);
    if (instance.vendor === 'business-central') return limited(businessCentralFor(config, id, secrets, context), instance, limiter);
    if (instance.vendor !== 'netsuite') throw new Error(`No ERP adapter for ${instance.vendor} yet (instance ${id})`);
    // OneWorld: the subsidiary each legal entity on this account posts to.
    const subsidiaries = Object.fromEntries(
      config.legalEntities.flatMap((e) => (e.instances.erp === id && e.erpSubsidiaryId !== undefined ? [[e.id, e.erpSubsidiaryId]] : [])),
    );
    const netSuite = new NetSuiteErp({
      instance: id,
      ...timeoutOf(instance),
      ...(instance.baseUrl ? { baseUrl: instance.baseUrl } : {}),
      ...(Object.keys(subsidiaries).length > 0 ? { subsidiaries } : {}),
      ...(instance.currencyIds ? { currencyIds: instance.currencyIds } : {}),
      ...(instance.paymentTermsIds ? { paymentTermsIds: instance.paymentTermsIds } : {}),
      ...(instance.taxItemIds ? { taxItemIds: instance.taxItemIds } : {}),
      credentials: async () => (await secrets(id)) as unknown as NetSuiteCredentials,
      refreshCredentials: async () => (await secrets(id, { forceFetch: true })) as unknown as NetSuiteCredentials,
      ...context,
    });
    return limited(netSuite, instance, limiter);
  };
  const kantata = (id: string): KantataPsa => {
    const instance = instanceOf(config, id);
    if (instance.vendor !== 'kantata') throw new Error(`No PSA adapter for ${instance.vendor} yet (instance ${id})`);
    // Kantata's non-expiring bearer token; read past the cache after a 401 to pick up a rotated one.
    const read = async (forceFetch: boolean) => ({ accessToken: String((await secrets(id, { forceFetch })).accessToken) });
    return limited(
      new KantataPsa({
        instance: id,
        ...timeoutOf(instance),
        ...(instance.baseUrl ? { baseUrl: instance.baseUrl } : {}),
        credentials: () => read(false),
        refreshCredentials: () => read(true),
        ...context,
      }),
      instance,
      limiter,
    );
  };
  const crm = (id: string): SalesforceCrm | HubSpotCrm => {
    const instance = instanceOf(config, id);
    return limited(
      instance.vendor === 'salesforce' ? salesforceFor(config, id, secrets, context) : hubSpotFor(config, id, secrets, context),
      instance,
      limiter,
    );
  };
  return {
    erpFor: (id: string): ErpPort => erp(id),
    /** The ERP's invoicing side (time and expenses to invoice). */
    invoicingFor: (id: string): InvoicingPort => erp(id),
    /** The ERP's receivables side (payment status). */
    paymentsFor: (id: string): PaymentsPort => erp(id),
    /** The ERP's invoices read back by date (reconciliation). */
    invoiceReadFor: (id: string): InvoiceReadPort => erp(id),
    /** The PSA's invoices read back (reconciliation). */
    psaInvoiceReadFor: (id: string): PsaInvoiceReadPort => kantata(id),
    psaFor: (id: string): PsaPort => kantata(id),
    /** The PSA's billing side: approved work to poll, invoices to record. */
    psaBillingFor: (id: string): PsaBillingPort => kantata(id),
    crmFor: (id: string): CrmPort => crm(id),
    /** The CRM's billing side: billing health on the account. */
    crmBillingFor: (id: string): CrmBillingPort => crm(id),
    /** Business Central's webhook side (subscriptions, invoice re-reads), under the instance's limit. */
    businessCentralFor: (id: string): BusinessCentralErp => limited(businessCentralFor(config, id, secrets, context), instanceOf(config, id), limiter),
    /** HubSpot's deal reads (the webhook intake's re-read). */
    hubSpotFor: (id: string): HubSpotCrm => limited(hubSpotFor(config, id, secrets, context), instanceOf(config, id), limiter),
    /** Salesforce's opportunity reads and queries (the relay intake and reconciliation). */
    salesforceFor: (id: string): SalesforceCrm => limited(salesforceFor(config, id, secrets, context), instanceOf(config, id), limiter),
    /** Certinia's record reads (the relay intake of approved work). */
    certiniaFor: (id: string): CertiniaPsa => limited(certiniaFor(config, id, secrets, context), instanceOf(config, id), limiter),
  };
}

/**
 * The Business Central adapter of an instance: tenant, environment, company and local currency from
 * its configuration; the Entra app's client id and secret from its secret.
 */
function businessCentralFor(config: DeploymentConfig, id: string, secrets: SecretReader, context: CallContext): BusinessCentralErp {
  const instance = instanceOf(config, id);
  if (instance.vendor !== 'business-central' || instance.businessCentral === undefined)
    throw new Error(`${id} is not a Business Central instance with its businessCentral settings`);
  const read = async (forceFetch: boolean): Promise<BusinessCentralCredentials> => {
    const secret = await secrets(id, { forceFetch });
    return { clientId: String(secret.clientId), clientSecret: String(secret.clientSecret) };
  };
  return new BusinessCentralErp({
    instance: id,
    ...timeoutOf(instance),
    ...instance.businessCentral,
    ...(instance.baseUrl ? { baseUrl: instance.baseUrl } : {}),
    ...(instance.authorityUrl ? { authorityUrl: instance.authorityUrl } : {}),
    credentials: () => read(false),
    refreshCredentials: () => read(true),
    ...context,
  });
}

/** The Certinia adapter of an instance (the change intake's re-reads), on its org's Salesforce REST client. */
function certiniaFor(config: DeploymentConfig, id: string, secrets: SecretReader, context: CallContext): CertiniaPsa {
  if (instanceOf(config, id).vendor !== 'certinia') throw new Error(`${id} is not a Certinia instance`);
  const instance = instanceOf(config, id);
  if (instance.baseUrl === undefined) throw new Error(`${id} is a Certinia instance without its org's baseUrl`);
  return new CertiniaPsa(
    new SalesforceRestClient({
      instance: id,
      ...timeoutOf(instance),
      vendor: 'certinia',
      baseUrl: instance.baseUrl,
      ...salesforcePlatformSessions('certinia', id, instance, secrets),
      clientId: callOptionsClientOf(config, instance),
      ...context,
    }),
  );
}

/**
 * The HubSpot adapter of an instance (the intake needs its deal reads): a private app's token, or a
 * public app's OAuth refresh token whose access tokens are kept per container (HubSpotAccessTokens).
 */
function hubSpotFor(config: DeploymentConfig, id: string, secrets: SecretReader, context: CallContext): HubSpotCrm {
  const instance = instanceOf(config, id);
  if (instance.vendor !== 'hubspot') throw new Error(`No CRM adapter for ${instance.vendor} yet (instance ${id})`);
  const tokens = new HubSpotAccessTokens({
    instance: id,
    ...timeoutOf(instance),
    ...(instance.baseUrl ? { baseUrl: instance.baseUrl } : {}),
    credentials: async (forceFetch) => hubSpotCredentials(id, await secrets(id, { forceFetch })),
  });
  return new HubSpotCrm({
    instance: id,
    ...timeoutOf(instance),
    ...(instance.baseUrl ? { baseUrl: instance.baseUrl } : {}),
    accessToken: () => tokens.current(),
    refreshAccessToken: () => tokens.refreshed(),
    fields: instance.crm?.fields as CrmFieldNames,
    ...context,
  });
}

/**
 * A Salesforce-platform instance's sessions: the secret names the OAuth flow (client credentials or
 * JWT bearer), run against the org's My Domain (`baseUrl`) unless the secret names a `loginUrl`; the
 * session is kept per container and the flow runs again after INVALID_SESSION_ID.
 */
function salesforcePlatformSessions(
  vendor: 'salesforce' | 'certinia',
  id: string,
  instance: { baseUrl?: string | undefined; requestTimeoutMs?: number | undefined },
  secrets: SecretReader,
) {
  return salesforceSessions({
    call: { vendor, instance: id, operation: 'session' },
    secret: (options) => secrets(id, options),
    ...(instance.baseUrl === undefined ? {} : { loginUrl: instance.baseUrl }),
    ...timeoutOf(instance),
  });
}

/**
 * The Salesforce adapter of an instance: the org's URL is the instance's `baseUrl`; sessions come from
 * the OAuth flow its secret names. A Certinia instance is a Salesforce org too, read through the same client.
 */
function salesforceFor(config: DeploymentConfig, id: string, secrets: SecretReader, context: CallContext): SalesforceCrm {
  const instance = instanceOf(config, id);
  if ((instance.vendor !== 'salesforce' && instance.vendor !== 'certinia') || instance.baseUrl === undefined)
    throw new Error(`${id} is not a Salesforce or Certinia instance with its org's baseUrl`);
  const vendor = instance.vendor === 'certinia' ? 'certinia' : 'salesforce';
  return new SalesforceCrm({
    instance: id,
    ...timeoutOf(instance),
    vendor,
    baseUrl: instance.baseUrl,
    ...salesforcePlatformSessions(vendor, id, instance, secrets),
    // Our writes come back with client=<id> in changeOrigin (callOptionsClient, or the deployment's name).
    clientId: callOptionsClientOf(config, instance),
    fields: instance.crm?.fields as CrmFieldNames,
    ...context,
  });
}
