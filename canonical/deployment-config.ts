import { z } from 'zod';
import { DEFAULT_OWNERSHIP } from './ownership/defaults';
import { OwnershipOverrides, type OwnershipPolicy, withOverrides } from './ownership/policy';
import { CurrencyCode } from './primitives';
import { InstanceId, roleOf, SystemRole, Vendor } from './systems';
import { Workflow } from './workflows';

/**
 * The typed deployment configuration: which regions run a stack, which legal entity is served by
 * which region and which vendor instances, and which flows are switched on where. `bin/` reads it
 * from JSON and passes it down; handlers receive the slice they need. It names secrets, never holds
 * them.
 */

const AwsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1');
const Identifier = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes');

/**
 * A vendor URL: `https://`, or `http://` to a loopback address (127.0.0.0/8, [::1], localhost), where
 * the local stack's sandboxes listen. Loopback traffic never leaves the machine, so TLS protects nothing
 * there, and a deployed function cannot reach a sandbox through it.
 */
const VendorUrl = z.url({ protocol: /^https?$/ }).refine((url) => {
  // zod runs this check even after the URL check failed; that one reports an unparseable URL.
  if (!URL.canParse(url)) return true;
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}, 'https:// (http:// only to a loopback address, as the local sandboxes use)');

/** A tag value in the characters AWS services accept in tags (stack tags propagate to each resource). */
const TagValue = z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u, 'up to 256 letters, digits, spaces and _ . : / = + - @');

/** Settings of one regional stack. */
export const RegionConfig = z.strictObject({
  region: AwsRegion,
  /** The account to deploy to; omitted means the CLI's current account (and an offline synth). */
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  /** Who hears alarms: e-mail addresses subscribed to the region's alarm topic. */
  alarmEmails: z.array(z.email()).default([]),
  /** How long our bus archive keeps events for replay. */
  eventArchiveRetentionDays: z.int().min(1).max(3650).default(90),
  /** How long idempotency records live (Powertools expiry, and the table's TTL). */
  idempotencyTtlSeconds: z
    .int()
    .min(60)
    .max(31 * 24 * 3600)
    .default(7 * 24 * 3600),
  billingRuns: z
    .strictObject({
      /**
       * Billing executions running at once in the region; further starts wait their turn in the queue.
       * Month-end work is bounded by the ERP's concurrency anyway: starting thousands of executions at
       * once only makes them queue inside the vendor limiter until their retries run out.
       */
      // At most 1,000: one ListExecutions page counts them.
      maxConcurrent: z.int().min(1).max(1000).default(40),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      /** Bodies larger than this are refused with 413 by the webhook handler (API Gateway's own cap is 10 MB). */
      maxBodyBytes: z
        .int()
        .min(1024)
        .max(10 * 1024 * 1024)
        .default(1024 * 1024),
      /** Steady-state requests per second the stage accepts before answering 429. */
      throttleRateLimit: z.number().positive().max(10_000).default(50),
      throttleBurstLimit: z.int().positive().max(5_000).default(100),
      /**
       * The public base URL vendors call (custom domain and base path), used to verify signatures
       * over the URL they signed. Omitted means the API's own execute-api URL with the stage.
       */
      publicBaseUrl: z.url({ protocol: /^https$/ }).optional(),
      /** Put AWS WAF (rate limit and AWS managed common rules) in front of the webhook API. */
      waf: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * CloudFormation termination protection of the region's stack: `cdk destroy` and stack deletion are
   * refused while it is on. Turn it off (and deploy) before deleting a region's stack on purpose.
   */
  terminationProtection: z.boolean().default(true),
});
/** Settings of one regional stack. */
export type RegionConfig = z.infer<typeof RegionConfig>;

/**
 * The CRM fields the integration reads from and writes to a deal, by their API names in that CRM
 * instance. Defaults are the names the README asks a CRM admin to create.
 */
export const CrmFieldNames = z.strictObject({
  legalEntity: z.string().min(1).default('ps_legal_entity'),
  businessUnit: z.string().min(1).default('ps_business_unit'),
  taxProfile: z.string().min(1).default('ps_tax_profile'),
  billingTerms: z.string().min(1).default('ps_billing_terms'),
  paymentTerms: z.string().min(1).default('ps_payment_terms'),
  /** Bumped by a person to re-run a deal after fixing its data: it becomes the execution revision. */
  syncRevision: z.string().min(1).default('ps_sync_revision'),
  erpCustomerId: z.string().min(1).default('ps_erp_customer_id'),
  erpProjectId: z.string().min(1).default('ps_erp_project_id'),
  psaProjectId: z.string().min(1).default('ps_psa_project_id'),
  syncStatus: z.string().min(1).default('ps_sync_status'),
  syncMessage: z.string().min(1).default('ps_sync_message'),
  /** On the CRM account (HubSpot company, Salesforce Account): billing health written after each invoice. */
  billingStatus: z.string().min(1).default('ps_billing_status'),
  lastInvoiceNumber: z.string().min(1).default('ps_last_invoice_number'),
  lastInvoiceDate: z.string().min(1).default('ps_last_invoice_date'),
  lastInvoiceTotal: z.string().min(1).default('ps_last_invoice_total'),
});
/** CRM field names. */
export type CrmFieldNames = z.infer<typeof CrmFieldNames>;

/** Settings of a CRM instance: which stages mean won (stage ids differ per portal or org), and its field names. */
export const CrmSettings = z.strictObject({
  wonStages: z.array(z.string().min(1)).min(1),
  fields: CrmFieldNames.prefault({}),
  /**
   * Salesforce: the integration user's id. A change it committed is our own write coming back (echo),
   * even when automation ran it in a later transaction without our client id.
   */
  integrationUserId: z
    .string()
    .regex(/^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'a Salesforce user id (005...)')
    .optional(),
  /**
   * Salesforce: the platform event a flow publishes when a deal is won, relayed on a platform-event
   * channel (docs/vendors/salesforce.md). Omitted: `Deal_Won__e` with `Opportunity_Id__c`.
   */
  dealWonEvent: z
    .strictObject({
      apiName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*__e$/, 'a platform event API name (<Name>__e)'),
      opportunityIdField: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field API name')
        .default('Opportunity_Id__c'),
    })
    .optional(),
});
/** Settings of a CRM instance. */
export type CrmSettings = z.infer<typeof CrmSettings>;

/**
 * Settings of a Certinia org: which values of its status picklists mean approved or completed. The
 * picklists are configurable per org (docs/vendors/certinia.md); the default is `Approved` for all three, the status
 * that drives Certinia's `pse__Approved__c` checkbox, its own sign that a record may be billed.
 */
export const CertiniaSettings = z.strictObject({
  /** `pse__Timecard_Header__c.pse__Status__c` values that mean approved. */
  approvedTimecardStatuses: z.array(z.string().min(1)).min(1).default(['Approved']),
  /** `pse__Expense__c.pse__Status__c` values that mean approved. */
  approvedExpenseStatuses: z.array(z.string().min(1)).min(1).default(['Approved']),
  /** `pse__Milestone__c.pse__Status__c` values that mean completed (billable once). */
  completedMilestoneStatuses: z.array(z.string().min(1)).min(1).default(['Approved']),
});
/** Settings of a Certinia org. */
export type CertiniaSettings = z.infer<typeof CertiniaSettings>;

/** One tenant of a vendor: its credentials live in Secrets Manager under `secretName`. */
export const VendorInstanceConfig = z.strictObject({
  id: InstanceId,
  vendor: Vendor,
  /**
   * API base URL. Omitted means the vendor's public API (for NetSuite, derived from the account id
   * in the secret); the local stack points it at a sandbox.
   */
  baseUrl: VendorUrl.optional(),
  /** Required for CRM instances. */
  crm: CrmSettings.optional(),
  /** Certinia instances: the org's status values. Omitted: CertiniaSettings' defaults. */
  certinia: CertiniaSettings.optional(),
  /**
   * HubSpot instances (required): the account id (Hub ID) of the portal. An app installed in several
   * portals signs every portal's events with one secret, so the webhook refuses events of any other.
   */
  portalId: z.int().positive().optional(),
  /**
   * Salesforce and Certinia instances: the client id our API calls send in `Sforce-Call-Options: client=<id>`,
   * which comes back in change events' `changeOrigin` so our own writes are recognised. Omitted: the
   * deployment's `name`.
   */
  callOptionsClient: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,79}$/, 'up to 80 letters, digits and _ . / - (no ; or , which separate call options)')
    .optional(),
  /** Secrets Manager secret name (not ARN, not value) holding this instance's credentials. */
  secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret name'),
  /**
   * How long one API call to this tenant may take before the adapter gives up and the state machine's
   * retry takes over. Omitted: the adapter's default (Kantata 60 s, which times out at 3 minutes itself;
   * the others 30 s). At most 60 s: a vendor step's function has 60 s in all.
   */
  requestTimeoutMs: z.int().min(100).max(60_000).optional(),
  /** Upper bound on concurrent calls we make to this tenant from one region (NetSuite concurrency, say). */
  maxConcurrency: z.int().min(1).max(100).default(5),
  /**
   * When one tenant serves several regions, the share of `maxConcurrency` each region may use; the
   * shares must not add up to more than the tenant's limit. Omitted: every region may use it all.
   */
  regionShares: z.record(z.string(), z.int().min(1)).optional(),
  /** Slots only billing flows may take, so month-end billing is never starved by master-data syncs. @default 1 */
  reservedForBilling: z.int().min(0).default(1),
  /**
   * Business Central instances: the Entra tenant, the environment and the company the API addresses,
   * and the company's local currency (BC leaves a document's currency blank when it is the local one).
   */
  businessCentral: z
    .strictObject({
      tenantId: z.string().regex(/^[A-Za-z0-9.-]{1,100}$/, 'an Entra tenant id or domain'),
      environment: z.string().regex(/^[A-Za-z0-9_-]{1,30}$/, 'a Business Central environment name'),
      companyId: z.uuid(),
      localCurrency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code'),
    })
    .optional(),
  /** Where OAuth tokens come from. Omitted: the vendor's public authority (Entra ID for Business Central). */
  authorityUrl: VendorUrl.optional(),
  /** ERP instances: the item each kind of invoice line posts to (NetSuite service item internal ids, Business Central item numbers). */
  invoiceItems: z.strictObject({ time: z.string().min(1), expense: z.string().min(1), milestone: z.string().min(1), retainer: z.string().min(1) }).optional(),
  /**
   * NetSuite instances: the internal id of each currency record, by ISO code. NetSuite sets a reference by
   * internal id, and a currency's refName is its name (an admin's text such as "US USD"), not its ISO code.
   * A write in a currency left out fails before any request (ErpReferenceNotConfigured; docs/vendors/netsuite.md).
   */
  currencyIds: z.partialRecord(CurrencyCode, z.string().regex(/^\d+$/, 'a NetSuite internal id (digits)')).optional(),
  /**
   * NetSuite instances: the internal id of each payment terms record (a new customer's `terms`), by the
   * deal's payment terms code (`NET30`). A customer whose code is left out fails before any request.
   */
  paymentTermsIds: z.record(z.string().min(1), z.string().regex(/^\d+$/, 'a NetSuite internal id (digits)')).optional(),
  /**
   * NetSuite instances with legacy tax: the internal id of each tax item or tax group (a new customer's
   * `taxItem`), by the deal's tax profile code (`US-EXEMPT`). Omitted: no `taxItem` is sent, as on a SuiteTax
   * account, where tax follows from nexus; present, a customer whose code is left out fails before any request.
   */
  taxItemIds: z.record(z.string().min(1), z.string().regex(/^\d+$/, 'a NetSuite internal id (digits)')).optional(),
});
/** One tenant of a vendor. */
export type VendorInstanceConfig = z.infer<typeof VendorInstanceConfig>;

/**
 * A Salesforce Event Relay partner event source to associate with a region's stack. An event relay
 * relays one channel, and a channel carries change events or platform events, never both; so an org
 * relaying both has two relays, two partner event sources and two entries here.
 */
export const EventRelayConfig = z.strictObject({
  /** The Salesforce (or Certinia) vendor instance whose events arrive through this relay. */
  instance: InstanceId,
  region: AwsRegion,
  /** `aws.partner/salesforce.com/<orgId>/<channelId>`, as Event Relay names it. */
  eventSourceName: z.string().regex(/^aws\.partner\/salesforce\.com\/[A-Za-z0-9]+\/[A-Za-z0-9]+$/, 'aws.partner/salesforce.com/<orgId>/<channelId>'),
  /**
   * The channel the relay relays, as subscribers name it: `/data/ChangeEvents` or a custom
   * `/data/<Name>__chn` for change events, `/event/<Name>__chn` for platform events. The prefix says
   * which events arrive, and so which relay rules the partner bus gets.
   */
  channel: z.string().regex(/^\/(data|event)\/[A-Za-z][A-Za-z0-9_]*$/, '/data/<channel> (change events) or /event/<channel> (platform events)'),
});
/** A Salesforce Event Relay partner event source. */
export type EventRelayConfig = z.infer<typeof EventRelayConfig>;

/** What a relay's channel carries: change events (`/data/...`) or platform events (`/event/...`). */
export type RelayedEvents = 'change-events' | 'platform-events';

/** What a relay's channel carries. */
export function relayedEvents(relay: Pick<EventRelayConfig, 'channel'>): RelayedEvents {
  return relay.channel.startsWith('/event/') ? 'platform-events' : 'change-events';
}

/** The won-deal platform event of a Salesforce instance, with its default. */
export function dealWonEventOf(crm: CrmSettings | undefined): { readonly apiName: string; readonly opportunityIdField: string } {
  return crm?.dealWonEvent ?? { apiName: 'Deal_Won__e', opportunityIdField: 'Opportunity_Id__c' };
}

/** The client id our calls to a Salesforce or Certinia instance carry in `Sforce-Call-Options`. */
export function callOptionsClientOf(config: Pick<DeploymentConfig, 'name'>, instance: Pick<VendorInstanceConfig, 'callOptionsClient'>): string {
  return instance.callOptionsClient ?? config.name;
}

/** A legal entity: the region that serves it and the vendor instance that plays each role for it. */
export const LegalEntityConfig = z.strictObject({
  id: Identifier,
  name: z.string().min(1),
  region: AwsRegion,
  /** Business units operating within the entity; flow switches can name them. */
  businessUnits: z.array(Identifier).min(1),
  instances: z.strictObject({
    crm: InstanceId,
    psa: InstanceId,
    erp: InstanceId,
    hcm: InstanceId.optional(),
  }),
  /**
   * NetSuite OneWorld: the internal id of the subsidiary this entity posts to, sent on its customers and
   * projects. Every entity on a OneWorld account needs one; omitted where the account has no subsidiaries.
   */
  erpSubsidiaryId: z.string().regex(/^\d+$/, 'a NetSuite subsidiary internal id (digits)').optional(),
  /**
   * A migration wave's parallel run: the ERP instance the entity is moving to, whose invoices
   * of each month the reconciliation compares with the primary ERP's, by our external reference, in the
   * same report (docs/operations.md#parallel-run). Nothing is written to it.
   */
  parallelRun: z.strictObject({ erp: InstanceId }).optional(),
});
/** A legal entity and the instances that serve it. */
export type LegalEntityConfig = z.infer<typeof LegalEntityConfig>;

/**
 * A flow switch. Selectors left out match everything; when several switches match a request, the
 * one naming more selectors wins (a legal entity beats a region), so "on everywhere except the
 * German business unit" is two switches. Two matching switches of equal specificity that disagree
 * are a configuration error, caught when the configuration is read.
 */
export const FlowSwitch = z.strictObject({
  flow: Workflow,
  on: z.boolean(),
  region: AwsRegion.optional(),
  legalEntity: Identifier.optional(),
  businessUnit: Identifier.optional(),
});
/** A flow switch. */
export type FlowSwitch = z.infer<typeof FlowSwitch>;

/** A team that works exceptions, as the inbox and its metrics name it: `sales-operations`, `finance-uk`. */
const Team = Identifier;

/**
 * Who owns the exceptions of each workflow, per legal entity where that differs: the team the inbox
 * lists them under and whose metrics they count in. A legal entity's entry wins over the workflow's,
 * which wins over the product's default (`DEFAULT_OWNERS` in canonical/operations.ts).
 */
export const OperationsConfig = z.strictObject({
  owners: z
    .strictObject({
      workflows: z.partialRecord(Workflow, Team).default({}),
      legalEntities: z.record(Identifier, z.partialRecord(Workflow, Team)).default({}),
    })
    .prefault({}),
  /**
   * What every log line masks beyond the built-in personal data (names, e-mails, addresses, bank and tax
   * ids; lambdas/common/log-masking.ts): further keys, and money amounts where the firm treats them as
   * confidential.
   */
  /**
   * How long an exception of each workflow may stay open before its alarm pages (minutes): business
   * impact, not error counts (defaults in canonical/operations.ts: a project not made before kickoff
   * pages within the hour, a late payment status within the day).
   */
  alarms: z.strictObject({ oldestOpenExceptionMinutes: z.partialRecord(Workflow, z.int().min(5).max(10_080)).default({}) }).prefault({}),
  logMasking: z
    .strictObject({
      extraFields: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a field name')).default([]),
      maskAmounts: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Every function logs the event it was invoked with (Powertools' `POWERTOOLS_LOGGER_LOG_EVENT`), masked
   * like every line: for a deployment's first weeks or a hunt for a mapping defect. Off by default: events
   * are the bulk of the log bill.
   */
  logEvent: z.boolean().default(false),
  /**
   * How long the raw inbound payloads and vendor-write bodies stay locked in the payload archive (an S3
   * bucket with Object Lock, lib/payload-archive.ts): GOVERNANCE, which an administrator allowed
   * `s3:BypassGovernanceRetention` can lift, unless the firm opts in to COMPLIANCE, which nobody can
   * (docs/security.md#payload-archive). The bucket expires each object once its lock lapses.
   */
  payloadRetention: z
    .strictObject({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
      days: z.number().int().min(1).max(3650).default(30),
    })
    .prefault({}),
});
/** The operations settings. */
export type OperationsConfig = z.infer<typeof OperationsConfig>;

/**
 * Reconciliation of PSA billing against ERP postings: how far apart the ledger's, the ERP's and the PSA's
 * invoices may be before a difference is reported.
 */
export const ReconciliationConfig = z.strictObject({
  tolerance: z
    .strictObject({
      /** A total may differ by this many minor units (rounding in another system). */
      amountMinor: z.int().min(0).max(1_000_000).default(1),
      /** An invoice date may differ by this many days. */
      days: z.int().min(0).max(31).default(0),
    })
    .prefault({}),
});
/** The reconciliation settings. */
export type ReconciliationConfig = z.infer<typeof ReconciliationConfig>;

/** The whole deployment configuration, validated across its parts. */
export const DeploymentConfig = z
  .strictObject({
    /** The JSON Schema editors validate the file against (canonical/deployment-config.schema.json); ignored here. */
    $schema: z.string().optional(),
    /** Prefix for stack names; one deployment per stage (prod, staging) can share an account. */
    name: Identifier,
    stage: Identifier,
    regions: z.array(RegionConfig).min(1),
    vendorInstances: z.array(VendorInstanceConfig).min(1),
    legalEntities: z.array(LegalEntityConfig).min(1),
    eventRelays: z.array(EventRelayConfig).default([]),
    flowSwitches: z.array(FlowSwitch).default([]),
    /** Changes to the default system-of-record policy (canonical/ownership/defaults.ts). */
    ownership: OwnershipOverrides.default({}),
    /** Who works each workflow's exceptions (docs/operations.md). */
    operations: OperationsConfig.prefault({}),
    /** Reconciliation of PSA billing against ERP postings (docs/operations.md#reconciliation). */
    reconciliation: ReconciliationConfig.prefault({}),
    /**
     * Who owns the deployment and who pays for it: tags `owner` and `cost-center` on every stack,
     * which CloudFormation propagates to each resource that takes tags (for cost allocation reports).
     */
    tags: z.strictObject({ owner: TagValue, costCenter: TagValue }),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const regions = new Set<string>();
    config.regions.forEach((r, i) => {
      if (regions.has(r.region)) issue(['regions', i, 'region'], `region ${r.region} is configured twice`);
      regions.add(r.region);
    });
    const instances = new Map<string, Vendor>();
    config.vendorInstances.forEach((v, i) => {
      if (instances.has(v.id)) issue(['vendorInstances', i, 'id'], `vendor instance ${v.id} is configured twice`);
      instances.set(v.id, v.vendor);
      const shares = Object.values(v.regionShares ?? {}).reduce((a, b) => a + b, 0);
      if (shares > v.maxConcurrency)
        issue(['vendorInstances', i, 'regionShares'], `the region shares of ${v.id} add up to ${shares}, more than its maxConcurrency ${v.maxConcurrency}`);
      if (v.reservedForBilling >= v.maxConcurrency)
        issue(
          ['vendorInstances', i, 'reservedForBilling'],
          `${v.id} reserves ${v.reservedForBilling} of ${v.maxConcurrency} slots for billing, leaving none for other flows`,
        );
      if (v.vendor === 'salesforce' && v.baseUrl === undefined)
        issue(['vendorInstances', i, 'baseUrl'], `Salesforce instance ${v.id} needs baseUrl, its org's instance URL (https://<my-domain>.my.salesforce.com)`);
      if (v.vendor === 'certinia' && v.baseUrl === undefined)
        issue(
          ['vendorInstances', i, 'baseUrl'],
          `Certinia instance ${v.id} needs baseUrl, its Salesforce org's instance URL (https://<my-domain>.my.salesforce.com)`,
        );
      if (v.vendor !== 'certinia' && v.certinia !== undefined)
        issue(['vendorInstances', i, 'certinia'], `${v.id} is not a Certinia instance but has certinia settings`);
      if (v.vendor === 'hubspot' && v.portalId === undefined)
        issue(['vendorInstances', i, 'portalId'], `HubSpot instance ${v.id} needs portalId, the account id (Hub ID) of its portal`);
      if (v.vendor !== 'hubspot' && v.portalId !== undefined) issue(['vendorInstances', i, 'portalId'], `${v.id} is not a HubSpot instance but has a portalId`);
      if (roleOf(v.vendor) === 'crm' && v.crm === undefined)
        issue(['vendorInstances', i, 'crm'], `CRM instance ${v.id} needs crm.wonStages: which deal stages mean won`);
      if (v.vendor === 'business-central' && v.businessCentral === undefined)
        issue(
          ['vendorInstances', i, 'businessCentral'],
          `Business Central instance ${v.id} needs businessCentral: its tenantId, environment, companyId and localCurrency`,
        );
      if (v.vendor !== 'business-central' && v.businessCentral !== undefined)
        issue(['vendorInstances', i, 'businessCentral'], `${v.id} is not a Business Central instance but has businessCentral settings`);
      if (roleOf(v.vendor) !== 'crm' && v.crm !== undefined) issue(['vendorInstances', i, 'crm'], `${v.id} is not a CRM instance but has crm settings`);
      if (v.vendor !== 'salesforce' && v.crm?.dealWonEvent !== undefined)
        issue(['vendorInstances', i, 'crm', 'dealWonEvent'], `${v.id} is not a Salesforce instance but has a dealWonEvent`);
      if (v.vendor !== 'netsuite' && v.currencyIds !== undefined)
        issue(['vendorInstances', i, 'currencyIds'], `${v.id} is not a NetSuite instance but has currencyIds`);
      if (v.vendor !== 'netsuite' && v.paymentTermsIds !== undefined)
        issue(['vendorInstances', i, 'paymentTermsIds'], `${v.id} is not a NetSuite instance but has paymentTermsIds`);
      if (v.vendor !== 'netsuite' && v.taxItemIds !== undefined)
        issue(['vendorInstances', i, 'taxItemIds'], `${v.id} is not a NetSuite instance but has taxItemIds`);
      if (v.vendor !== 'salesforce' && v.vendor !== 'certinia' && v.callOptionsClient !== undefined)
        issue(['vendorInstances', i, 'callOptionsClient'], `${v.id} is not a Salesforce or Certinia instance but has a callOptionsClient`);
    });
    const entities = new Set<string>();
    const legalEntityIds = new Set(config.legalEntities.map((e) => e.id));
    for (const id of Object.keys(config.operations.owners.legalEntities))
      if (!legalEntityIds.has(id)) issue(['operations', 'owners', 'legalEntities', id], `${id} is not a configured legal entity`);
    config.legalEntities.forEach((e, i) => {
      if (entities.has(e.id)) issue(['legalEntities', i, 'id'], `legal entity ${e.id} is configured twice`);
      entities.add(e.id);
      if (!regions.has(e.region)) issue(['legalEntities', i, 'region'], `legal entity ${e.id} is served by region ${e.region}, which has no entry in regions`);
      for (const [role, instance] of Object.entries(e.instances) as [SystemRole, string | undefined][]) {
        if (instance === undefined) continue;
        const vendor = instances.get(instance);
        if (vendor === undefined)
          issue(['legalEntities', i, 'instances', role], `legal entity ${e.id} names ${role} instance ${instance}, which is not in vendorInstances`);
        else if (roleOf(vendor) !== role)
          issue(['legalEntities', i, 'instances', role], `legal entity ${e.id} uses ${instance} (${vendor}, a ${roleOf(vendor)}) as its ${role}`);
        // No PsaPort or PsaBillingPort adapter exists for Certinia yet (lambdas/wiring/adapters.ts): refused here, not at run time.
        else if (role === 'psa' && vendor === 'certinia') {
          issue(
            ['legalEntities', i, 'instances', role],
            `legal entity ${e.id} uses ${instance} (certinia) as its psa: Certinia is supported as a source of approved work only; projects and invoices need a Kantata PSA for now`,
          );
        }
      }
    });
    config.legalEntities.forEach((e, i) => {
      const parallel = e.parallelRun?.erp;
      if (parallel !== undefined) {
        const vendor = instances.get(parallel);
        const path = ['legalEntities', i, 'parallelRun', 'erp'];
        if (vendor === undefined) issue(path, `legal entity ${e.id} names parallel-run ERP ${parallel}, which is not in vendorInstances`);
        else if (roleOf(vendor) !== 'erp') issue(path, `legal entity ${e.id} uses ${parallel} (${vendor}, a ${roleOf(vendor)}) as its parallel-run ERP`);
        else if (parallel === e.instances.erp) issue(path, `legal entity ${e.id} names its primary ERP ${parallel} as its parallel-run ERP`);
      }
    });
    config.legalEntities.forEach((e, i) => {
      const vendor = instances.get(e.instances.erp);
      if (e.erpSubsidiaryId !== undefined && vendor !== undefined && vendor !== 'netsuite')
        issue(
          ['legalEntities', i, 'erpSubsidiaryId'],
          `legal entity ${e.id} names a subsidiary, but its ERP ${e.instances.erp} is ${vendor}: subsidiaries are NetSuite OneWorld's`,
        );
      // OneWorld is account-wide: every customer and project needs a subsidiary, so every entity on the account names one.
      const oneWorld = config.legalEntities.some((other) => other.instances.erp === e.instances.erp && other.erpSubsidiaryId !== undefined);
      if (oneWorld && e.erpSubsidiaryId === undefined)
        issue(
          ['legalEntities', i, 'erpSubsidiaryId'],
          `legal entity ${e.id} names no erpSubsidiaryId, but other entities on ${e.instances.erp} do: a OneWorld account needs a subsidiary on every customer and project`,
        );
    });
    config.eventRelays.forEach((relay, i) => {
      const vendor = instances.get(relay.instance);
      if (vendor !== 'salesforce' && vendor !== 'certinia')
        issue(['eventRelays', i, 'instance'], `event relay names ${relay.instance}, which is not a Salesforce or Certinia instance in vendorInstances`);
      if (!regions.has(relay.region))
        issue(['eventRelays', i, 'region'], `event relay for ${relay.instance} targets region ${relay.region}, which has no entry in regions`);
      // Only Salesforce orgs publish the won-deal platform event; a Certinia platform-event relay would feed no rule.
      if (vendor === 'certinia' && relayedEvents(relay) === 'platform-events')
        issue(
          ['eventRelays', i, 'channel'],
          `event relay for ${relay.instance} relays platform events (${relay.channel}); Certinia is read from change events only`,
        );
      // One partner bus per source; and Event Relay allows one relay per channel.
      const earlier = config.eventRelays.slice(0, i);
      if (earlier.some((r) => r.eventSourceName === relay.eventSourceName))
        issue(['eventRelays', i, 'eventSourceName'], `partner event source ${relay.eventSourceName} is configured twice`);
      else if (earlier.some((r) => r.instance === relay.instance && r.channel === relay.channel))
        issue(['eventRelays', i, 'channel'], `${relay.instance} relays channel ${relay.channel} twice: Event Relay relays a channel once`);
    });
    config.flowSwitches.forEach((s, i) => {
      if (s.region !== undefined && !regions.has(s.region))
        issue(['flowSwitches', i, 'region'], `flow switch names region ${s.region}, which has no entry in regions`);
      if (s.legalEntity !== undefined && !entities.has(s.legalEntity))
        issue(['flowSwitches', i, 'legalEntity'], `flow switch names legal entity ${s.legalEntity}, which is not configured`);
      if (s.businessUnit !== undefined && !config.legalEntities.some((e) => e.businessUnits.includes(s.businessUnit!))) {
        issue(['flowSwitches', i, 'businessUnit'], `flow switch names business unit ${s.businessUnit}, which no legal entity has`);
      }
    });
    try {
      withOverrides(DEFAULT_OWNERSHIP, config.ownership);
    } catch (error) {
      issue(['ownership'], (error as Error).message);
    }
    for (const [a, b] of conflictingSwitches(config.flowSwitches)) {
      issue(
        ['flowSwitches', b],
        `flow switches ${a} and ${b} for ${config.flowSwitches[a]!.flow} can match the same request with equal specificity but disagree`,
      );
    }
  });
/** The whole deployment configuration. */
export type DeploymentConfig = z.infer<typeof DeploymentConfig>;
/** The deployment configuration as written in JSON, before defaults are applied. */
export type DeploymentConfigInput = z.input<typeof DeploymentConfig>;

/** Pairs of switch indexes that could match one request at equal specificity with opposite answers. */
function conflictingSwitches(switches: readonly FlowSwitch[]): [number, number][] {
  const selectors = ['region', 'legalEntity', 'businessUnit'] as const;
  const conflicts: [number, number][] = [];
  switches.forEach((a, i) => {
    switches.slice(i + 1).forEach((b, offset) => {
      if (a.flow !== b.flow || a.on === b.on || specificity(a) !== specificity(b)) return;
      // Two switches can both match unless some selector is set on both to different values.
      const disjoint = selectors.some((k) => a[k] !== undefined && b[k] !== undefined && a[k] !== b[k]);
      if (!disjoint) conflicts.push([i, i + 1 + offset]);
    });
  });
  return conflicts;
}

/** How many selectors a switch names; the most specific matching switch decides. */
export function specificity(s: FlowSwitch): number {
  return [s.region, s.legalEntity, s.businessUnit].filter((v) => v !== undefined).length;
}

/**
 * Reads and validates a deployment configuration, failing with every problem listed by path.
 * @throws Error naming each invalid field and why.
 */
export function parseDeploymentConfig(input: unknown): DeploymentConfig {
  const result = DeploymentConfig.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`Invalid deployment configuration:\n${problems}`);
  }
  return result.data;
}

/** The ownership policy of a deployment: the defaults with its overrides applied. */
export function ownershipPolicy(config: DeploymentConfig): OwnershipPolicy {
  return withOverrides(DEFAULT_OWNERSHIP, config.ownership);
}

/** The concurrency a region may use of a vendor tenant: its share when the tenant is split between regions. */
export function regionalConcurrency(instance: VendorInstanceConfig, region: string): number {
  return instance.regionShares?.[region] ?? instance.maxConcurrency;
}
