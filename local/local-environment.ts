import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutPartnerEventsCommand } from '@aws-sdk/client-eventbridge';
import { type DeploymentConfig, type DeploymentConfigInput, parseDeploymentConfig } from '../canonical/deployment-config';
import { SALESFORCE_CONTRACT_FIELDS } from '../lambdas/salesforce/opportunity-mapping';
import type { WorkflowDeclaration } from '../lib/topology/declarations';
import { WORKFLOWS } from '../lib/topology/workflows';
import { type BusinessCentralSandbox, startBusinessCentralSandbox } from './sandboxes/business-central/business-central-sandbox';
import { type CertiniaSandbox, startCertiniaSandbox } from './sandboxes/certinia/certinia-sandbox';
import { type HubSpotSandbox, startHubSpotSandbox } from './sandboxes/hubspot/hubspot-sandbox';
import { type KantataSandbox, startKantataSandbox } from './sandboxes/kantata/kantata-sandbox';
import { LOCAL_NETSUITE_M2M_CERTIFICATE } from './sandboxes/netsuite/local-only-m2m-key';
import { type NetSuiteSandbox, startNetSuiteSandbox } from './sandboxes/netsuite/netsuite-sandbox';
import { LOCAL_CERTINIA_OAUTH, LOCAL_SALESFORCE_OAUTH } from './sandboxes/salesforce/local-oauth';
import { type SalesforceSandbox, startSalesforceSandbox } from './sandboxes/salesforce/salesforce-sandbox';
import { LocalNetwork } from './sandboxes/sandbox-kit';
import { type LocalStack, startLocalStack } from './stack/local-stack';

/** The custom deal properties a HubSpot admin creates for the integration (docs/vendors/hubspot.md, "Setting up the portal"). */
export const HUBSPOT_CUSTOM_DEAL_PROPERTIES = [
  'ps_legal_entity',
  'ps_business_unit',
  'ps_tax_profile',
  'ps_billing_terms',
  'ps_payment_terms',
  'ps_sync_revision',
  'ps_erp_customer_id',
  'ps_erp_project_id',
  'ps_psa_project_id',
  'ps_sync_status',
  'ps_sync_message',
  'ps_contract_start',
  'ps_contract_end',
  'ps_not_to_exceed',
  'ps_expense_markup',
];
/** Custom company properties that show billing health. */
export const HUBSPOT_CUSTOM_COMPANY_PROPERTIES = ['ps_billing_status', 'ps_last_invoice_number', 'ps_last_invoice_date', 'ps_last_invoice_total'];
/** Custom line-item properties that carry the contract (rate lines, milestones, tasks). */
export const HUBSPOT_CUSTOM_LINE_ITEM_PROPERTIES = ['ps_line_type', 'ps_effective_from', 'ps_effective_to', 'ps_due_date', 'ps_billable', 'ps_estimated_hours'];

/** The Salesforce fields the integration reads and writes (docs/vendors/salesforce.md, "Setting up the org"), as the local org defines them. */
export const SALESFORCE_LOCAL_FIELDS = {
  Opportunity: [
    'Name',
    'StageName',
    'Amount',
    'CurrencyIsoCode',
    'CloseDate',
    'AccountId',
    'PS_Legal_Entity__c',
    'PS_Business_Unit__c',
    'PS_Tax_Profile__c',
    'PS_Billing_Terms__c',
    'PS_Payment_Terms__c',
    'PS_Sync_Revision__c',
    'PS_ERP_Customer_Id__c',
    'PS_ERP_Project_Id__c',
    'PS_PSA_Project_Id__c',
    'PS_Sync_Status__c',
    'PS_Sync_Message__c',
    ...SALESFORCE_CONTRACT_FIELDS.opportunity,
  ],
  Account: [...SALESFORCE_CONTRACT_FIELDS.account, 'PS_Billing_Status__c', 'PS_Last_Invoice_Number__c', 'PS_Last_Invoice_Date__c', 'PS_Last_Invoice_Total__c'],
  OpportunityLineItem: ['OpportunityId', ...SALESFORCE_CONTRACT_FIELDS.lineItem],
};

/** Credentials the sandboxes accept and the local Secrets Manager holds; local only, never real. */
export const LOCAL_CREDENTIALS = {
  hubspot: { clientSecret: 'local-hubspot-client-secret', accessToken: 'pat-local-0000' },
  salesforce: LOCAL_SALESFORCE_OAUTH.secret,
  certinia: LOCAL_CERTINIA_OAUTH.secret,
  kantata: { accessToken: 'local-kantata-oauth-token' },
  netsuiteUs: { auth: 'tba', accountId: '1234567_SB1', consumerKey: 'ck-us', consumerSecret: 'cs-us', tokenId: 'tk-us', tokenSecret: 'ts-us' },
  netsuiteCa: {
    auth: 'oauth2',
    accountId: '7654321_SB2',
    clientId: 'ns-ca-client',
    certificateId: LOCAL_NETSUITE_M2M_CERTIFICATE.certificateId,
    privateKey: LOCAL_NETSUITE_M2M_CERTIFICATE.privateKey,
    algorithm: LOCAL_NETSUITE_M2M_CERTIFICATE.algorithm,
  },
  businessCentral: { clientId: 'local-bc-app', clientSecret: 'local-bc-app-secret', clientState: 'local-bc-client-state' },
} as const;

/** Everything the local environment runs. */
export interface LocalEnvironment {
  readonly config: DeploymentConfig;
  readonly stack: LocalStack;
  readonly hubspot: HubSpotSandbox;
  readonly salesforce: SalesforceSandbox;
  /** The Certinia org (PSA), relayed like the Salesforce one; no legal entity uses it as its PSA yet. */
  readonly certinia: CertiniaSandbox;
  readonly kantata: KantataSandbox;
  readonly netsuite: { readonly us: NetSuiteSandbox; readonly ca: NetSuiteSandbox };
  /** The Business Central environment of acme-uk (ERP), subscribed to by the stack's renewal job. */
  readonly businessCentral: BusinessCentralSandbox;
  /** What the hand-driven examples in docs/local-stack.md call by name (`npm start` writes them to `.local-stack.env`). */
  readonly shellVariables: Readonly<Record<string, string>>;
  /** Waits until webhooks, queues, bus deliveries and executions have all finished. @default 5 minutes at most */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startLocalEnvironment}. */
export interface LocalEnvironmentOptions {
  /** Retry pauses per state, for tests. @default real intervals */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  readonly netSuiteConcurrency?: number;
  readonly netSuiteLatencyMs?: number;
  /** Rate schedules fire only when told to (benchmarks measure one run, not a run and a poll). @default false */
  readonly schedulesPaused?: boolean;
  /** Billing executions at once; the local configuration keeps it at 1 so tests see starts wait their turn, benchmarks raise it. */
  readonly billingRunsMaxConcurrent?: number;
  /** Kantata's limits are not public; the sandbox's defaults are conservative, and benchmarks raise them. */
  readonly kantataLimits?: { readonly requestsPerWindow: number; readonly workspaceCreatesPerWindow: number };
  /** HubSpot's requests per 10 s (its burst limit); runs that close dozens of deals at once raise it. @default 100 */
  readonly hubspotBurstLimit?: number;
  /** Every vendor instance's `requestTimeoutMs`, so a slow-answer fault costs a second, not the adapter's default. */
  readonly requestTimeoutMs?: number;
  readonly onError?: (error: unknown) => void;
  /** The workflows to run, and to synthesize the template whose roles and environments they get. @default WORKFLOWS */
  readonly workflows?: readonly WorkflowDeclaration[];
  /** @default INFO */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Every function logs its invocation event, masked (POWERTOOLS_LOGGER_LOG_EVENT). @default off, as deployed */
  readonly logEvent?: boolean;
  /** Print function log lines as they come; either way the stack keeps them (`stack.logsOf`). @default true */
  readonly printLogs?: boolean;
}

/**
 * Starts the vendor sandboxes and the local stack wired to them: the configuration in
 * `local/deployment.local.json` with each vendor's base URL pointed at its sandbox, credentials in the
 * local Secrets Manager, and the HubSpot custom properties created as a portal admin would.
 */
export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  // Vendors call the stack's public URL; this routes it to the local API once the stack runs.
  const network = new LocalNetwork();
  const hubspot = await startHubSpotSandbox({
    network,
    portalId: 62515,
    clientSecret: LOCAL_CREDENTIALS.hubspot.clientSecret,
    accessTokens: [LOCAL_CREDENTIALS.hubspot.accessToken],
    ...(options.hubspotBurstLimit === undefined ? {} : { burstLimit: options.hubspotBurstLimit }),
  });
  // Event Relay: the org's change events go onto the partner event bus of the local stack, once it runs.
  const relayTo: { client?: EventBridgeClient } = {};
  const input = JSON.parse(readFileSync(join(__dirname, 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;
  // One relay per channel: an org's change events and its platform events reach the stack on different partner sources.
  const relayOf = (instance: string, channel: 'data' | 'event' = 'data') => ({
    eventSourceName: input.eventRelays!.find((r) => r.instance === instance && r.channel.startsWith(`/${channel}/`))!.eventSourceName,
    put: async ({ source, detailType, detail, time }: { source: string; detailType: string; detail: string; time: Date }) => {
      if (relayTo.client === undefined) throw new Error('The local stack is not running yet');
      const result = await relayTo.client.send(
        new PutPartnerEventsCommand({ Entries: [{ Source: source, DetailType: detailType, Detail: detail, Time: time }] }),
      );
      if (result.FailedEntryCount) throw new Error(`The partner bus refused the event: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    },
  });
  const salesforce = await startSalesforceSandbox({
    oauth: LOCAL_SALESFORCE_OAUTH.org,
    fields: SALESFORCE_LOCAL_FIELDS,
    relay: { ...relayOf('salesforce-main'), enrichedFields: { Opportunity: ['Name', 'StageName'] } },
    platformEventRelay: relayOf('salesforce-main', 'event'),
  });
  const certinia = await startCertiniaSandbox({ oauth: LOCAL_CERTINIA_OAUTH.org, relay: relayOf('certinia-main') });
  const kantata = await startKantataSandbox({
    accessTokens: [LOCAL_CREDENTIALS.kantata.accessToken],
    ...(options.kantataLimits ?? {}),
  });
  const nsOptions = { concurrencyLimit: options.netSuiteConcurrency ?? 5, latencyMs: options.netSuiteLatencyMs ?? 0 };
  // acme-us's account is OneWorld (acme-us and acme-enterprise are its subsidiaries 1 and 2); acme-ca's is not.
  const us = await startNetSuiteSandbox({
    accountId: LOCAL_CREDENTIALS.netsuiteUs.accountId,
    tba: LOCAL_CREDENTIALS.netsuiteUs,
    oneWorld: true,
    subsidiaryIds: ['1', '2'],
    ...nsOptions,
  });
  const ca = await startNetSuiteSandbox({
    accountId: LOCAL_CREDENTIALS.netsuiteCa.accountId,
    // The certificate mapped to the integration: the sandbox holds its public key, the secret its private key.
    oauth2: {
      clientId: LOCAL_CREDENTIALS.netsuiteCa.clientId,
      certificates: { [LOCAL_NETSUITE_M2M_CERTIFICATE.certificateId]: LOCAL_NETSUITE_M2M_CERTIFICATE.publicKey },
    },
    ...nsOptions,
  });
  const bcInstance = input.vendorInstances.find((v) => v.id === 'business-central-uk')!;
  const businessCentral = await startBusinessCentralSandbox({
    ...bcInstance.businessCentral!,
    network,
    clientId: LOCAL_CREDENTIALS.businessCentral.clientId,
    clientSecret: LOCAL_CREDENTIALS.businessCentral.clientSecret,
  });
  // The sandbox serves Entra's token endpoint too.
  bcInstance.authorityUrl = businessCentral.url;

  const urls: Record<string, string> = {
    'hubspot-main': hubspot.url,
    'salesforce-main': salesforce.url,
    'certinia-main': certinia.url,
    'kantata-global': kantata.url,
    'netsuite-us': us.url,
    'netsuite-ca': ca.url,
    'business-central-uk': businessCentral.url,
  };
  for (const instance of input.vendorInstances) {
    const url = urls[instance.id];
    if (url !== undefined) instance.baseUrl = url;
    if (options.requestTimeoutMs !== undefined) instance.requestTimeoutMs = options.requestTimeoutMs;
  }
  if (options.billingRunsMaxConcurrent !== undefined)
    for (const region of input.regions) region.billingRuns = { maxConcurrent: options.billingRunsMaxConcurrent };
  const config = parseDeploymentConfig(input);
  const secretOf = (id: string) => config.vendorInstances.find((v) => v.id === id)!.secretName;
  const stack = await startLocalStack({
    config,
    region: config.regions[0]!.region,
    workflows: options.workflows ?? WORKFLOWS,
    secrets: {
      [secretOf('hubspot-main')]: LOCAL_CREDENTIALS.hubspot,
      [secretOf('salesforce-main')]: LOCAL_CREDENTIALS.salesforce,
      [secretOf('certinia-main')]: LOCAL_CREDENTIALS.certinia,
      [secretOf('kantata-global')]: LOCAL_CREDENTIALS.kantata,
      [secretOf('netsuite-us')]: LOCAL_CREDENTIALS.netsuiteUs,
      [secretOf('netsuite-ca')]: LOCAL_CREDENTIALS.netsuiteCa,
      [secretOf('business-central-uk')]: LOCAL_CREDENTIALS.businessCentral,
    },
    ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.logEvent === undefined ? {} : { logEvent: options.logEvent }),
    ...(options.printLogs === undefined ? {} : { printLogs: options.printLogs }),
    ...(options.schedulesPaused ? { schedulesPaused: true } : {}),
  });
  relayTo.client = new EventBridgeClient({
    endpoint: stack.endpoints.eventbridge,
    region: config.regions[0]!.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  network.add(stack.webhookBaseUrl, stack.apiUrl);
  hubspot.setWebhookTargetUrl(`${stack.webhookBaseUrl}webhooks/hubspot/hubspot-main`);
  // The first run of the hourly renewal job, as after a deploy: it subscribes our webhook in BC.
  await stack.scheduler.fire('BusinessCentralSubscriptionRenewal-business-central-uk');

  const admin = { authorization: `Bearer ${LOCAL_CREDENTIALS.hubspot.accessToken}`, 'content-type': 'application/json' };
  for (const [objectType, names] of [
    ['deals', HUBSPOT_CUSTOM_DEAL_PROPERTIES],
    ['line_items', HUBSPOT_CUSTOM_LINE_ITEM_PROPERTIES],
    ['companies', HUBSPOT_CUSTOM_COMPANY_PROPERTIES],
  ] as const) {
    for (const name of names) {
      await fetch(`${hubspot.url}/crm/v3/properties/${objectType}`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name, label: name, type: 'string', fieldType: 'text', groupName: 'ps_sync' }),
      });
    }
  }

  return {
    config,
    stack,
    hubspot,
    salesforce,
    certinia,
    kantata,
    netsuite: { us, ca },
    businessCentral,
    shellVariables: {
      API: stack.apiUrl,
      ...(stack.opsApiUrl ? { OPS_API: stack.opsApiUrl } : {}),
      WEBHOOK_BASE: stack.webhookBaseUrl,
      HUBSPOT: hubspot.url,
      SALESFORCE: salesforce.url,
      CERTINIA: certinia.url,
      KANTATA: kantata.url,
      NETSUITE_US: us.url,
      NETSUITE_CA: ca.url,
      BUSINESS_CENTRAL: businessCentral.apiRoot,
    },
    async settled(timeoutMs?: number) {
      for (let pass = 0; pass < 3; pass++) {
        await hubspot.settled();
        await salesforce.settled();
        await certinia.settled();
        await businessCentral.flushNotifications();
        await stack.settled(timeoutMs);
      }
    },
    async stop() {
      await stack.stop();
      await Promise.all([hubspot.close(), salesforce.close(), certinia.close(), kantata.close(), us.close(), ca.close(), businessCentral.close()]);
    },
  };
}
