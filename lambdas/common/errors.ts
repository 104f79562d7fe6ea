import type { Workflow } from '../../canonical/workflows';

/**
 * The errors our code throws on purpose, and what a person should do about each. An error's `name` is
 * the contract: Lambda reports it as the errorType, Step Functions matches it in Retry and Catch, and
 * the remediation table below is keyed by it. Retry policy therefore lives in the state machine files,
 * once, and adapters never retry throttling or outages themselves. Every error takes ES2022's
 * `ErrorOptions`, so the lower-level failure it wraps stays reachable as `cause`.
 */

/** The base of every vendor and workflow error: a fixed `name` and an optional `cause`. */
export abstract class SyncError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Which vendor call failed, for exception reasons and metrics; never the payload. */
export interface VendorCall {
  readonly vendor: string;
  readonly instance: string;
  readonly operation: string;
}

/** The vendor throttled us (HTTP 429, concurrency limit): retry later with backoff and jitter. */
export class VendorThrottledError extends SyncError {
  override readonly name = 'VendorThrottled';
  constructor(
    readonly call: VendorCall,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(
      `${call.vendor} (${call.instance}) throttled ${call.operation}${retryAfterSeconds === undefined ? '' : `; retry after ${retryAfterSeconds}s`}`,
      options,
    );
  }
}

/** The vendor is failing (5xx, timeout, connection refused): retry, then record an exception. */
export class VendorUnavailableError extends SyncError {
  override readonly name = 'VendorUnavailable';
  constructor(
    readonly call: VendorCall,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${call.vendor} (${call.instance}) unavailable during ${call.operation}: ${detail}`, options);
  }
}

/** The vendor refused the request on its merits (4xx with an error code): retrying cannot help. */
export class VendorRejectedError extends SyncError {
  override readonly name = 'VendorRejected';
  constructor(
    readonly call: VendorCall,
    readonly status: number,
    /** The vendor's error code (never its message text, which changes with locale and release). */
    readonly code: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${call.vendor} (${call.instance}) rejected ${call.operation} with ${status} ${code}: ${detail}`, options);
  }
}

/** Credentials were refused even after a token refresh: a person must fix the secret. */
export class VendorAuthenticationError extends SyncError {
  override readonly name = 'VendorAuthenticationFailed';
  constructor(
    readonly call: VendorCall,
    options?: ErrorOptions,
  ) {
    super(`${call.vendor} (${call.instance}) refused our credentials for ${call.operation} after a token refresh; check secret and app permissions`, options);
  }
}

/** No contract was recorded for the project: it was not made by opportunity to project, or not yet. */
export class ContractUnknownError extends SyncError {
  override readonly name = 'ContractUnknown';
}

/** The ERP instance has no invoice items configured for a kind of line. */
export class InvoiceItemsNotConfiguredError extends SyncError {
  override readonly name = 'InvoiceItemsNotConfigured';
}

/**
 * The ERP instance has no internal id configured for a reference a write needs (a currency, payment terms,
 * a tax item): found before any request, so nothing was written. The message names the instance, the
 * configuration key and the missing code, never personal data.
 */
export class ErpReferenceNotConfiguredError extends SyncError {
  override readonly name = 'ErpReferenceNotConfigured';
}

/**
 * The errors a person must act on, in the source record or the configuration, per state machine: each
 * Task's Catch lists exactly these, into its business path (the exception, the CRM's needs-attention).
 * Every other failure (throttling and outages once their retries are spent, defects, a missing
 * environment) is left uncaught, so the execution fails at the task itself and can be redriven from
 * there with the same input once the cause is gone (`npm run ops -- exceptions retry`); its exception is
 * recorded from the execution's status change (docs/operations.md, "Which failures resume").
 */
export const NEEDS_A_PERSON = {
  'opportunity-to-project': [
    'OpportunityInvalid',
    'CreateInProgress',
    'VendorRejected',
    'VendorAuthenticationFailed',
    'KantataTokenRevoked',
    'ErpReferenceNotConfigured',
    'CrossReferenceConflict',
    'MergeRefused',
    'RateCardNotRepresentable',
  ],
  'time-to-invoice': [
    'ContractUnknown',
    'InvoiceItemsNotConfigured',
    'ErpReferenceNotConfigured',
    'VendorRejected',
    'VendorAuthenticationFailed',
    'KantataTokenRevoked',
  ],
} as const satisfies Partial<Record<Workflow, readonly string[]>>;

/** Errors that a retry may cure. */
export function isRetryable(error: unknown): boolean {
  return error instanceof VendorThrottledError || error instanceof VendorUnavailableError;
}

/**
 * What a person should do, by workflow and error name (or, for a rejection at intake, by its kind).
 * One table, so the texts the runbook quotes and the exceptions carry cannot drift apart.
 */
const REMEDIATION: Readonly<Partial<Record<Workflow, Readonly<Record<string, string>>>>> = {
  'opportunity-to-project': {
    OpportunityInvalid: 'Fix the fields named above on the deal, then increase its sync revision to run it again.',
    CreateInProgress:
      "Another revision of the deal reserved the PSA project's create and neither finished nor released it; check that execution, then increase the sync revision to run again.",
    ChangeRefusedByOwnership:
      'The rest of the revision was applied. Make the change in the system named above, which owns it, or change the ownership policy of the deployment; then resolve this exception.',
    VendorThrottled: 'The vendor kept throttling after every retry; check its concurrency use, then increase the sync revision to run again.',
    VendorUnavailable: "The vendor kept failing after every retry; check the vendor's status, then increase the sync revision to run again.",
    VendorRejected: 'The vendor refused the data for the reason above; correct it in the source system, then increase the sync revision.',
    VendorAuthenticationFailed: "Renew the vendor instance's credentials in Secrets Manager, then increase the sync revision.",
    ErpReferenceNotConfigured:
      "Look up in NetSuite the internal id of the record the code above names, add it to the instance's key named above (currencyIds, paymentTermsIds or taxItemIds) in the deployment configuration and deploy, then increase the sync revision to run again.",
    KantataTokenRevoked:
      "Kantata refused the integration's bearer token even after its secret was read again: it was revoked, or its application deleted. A Kantata administrator issues a new token (Settings > API, the registered application's OAuth token) and stores it as accessToken in the instance's secret in Secrets Manager; then increase the sync revision to run again.",
    CrossReferenceConflict: 'Two records claim the same vendor id; merge them in the CRM, then increase the sync revision.',
    RateCardNotRepresentable: "Correct the deal's rate card, or add the missing role in the PSA, then increase the sync revision.",
    MalformedChangeEvent:
      "The relayed change event was refused and not acted on: one of its version fields is not a plain unsigned integer. Check the Event Relay configuration of the org; the record's next change, or the scheduled reconciliation, brings it in.",
    HubSpotEventRejected: 'Check the HubSpot app webhook subscriptions; the event was not processed. Re-save the deal in HubSpot to send it again.',
    HubSpotForeignPortal:
      "Events of another HubSpot portal were answered 200, refused and not processed. If the portal named is this instance's own, its portalId in the deployment configuration is wrong: correct it and deploy, then increase ps_sync_revision on the deals won meanwhile. Otherwise the app is installed in that portal too: uninstall it there, or configure that portal as an instance of its own; then resolve this exception.",
    HubSpotUnhandledEvent:
      'Events of a subscription type (or object type) this integration does not handle were answered 200, refused and not processed. Remove that subscription from the HubSpot app, or keep only deal creation and deal property changes (dealstage, ps_sync_revision), legacy deal.* or generic object.* for object type 0-3; then resolve this exception. If a deal was won through such an event, increase its ps_sync_revision.',
    default: 'See the execution history for the failed step; increase the sync revision to run again once fixed.',
  },
  'time-to-invoice': {
    ContractUnknown: 'The project was not activated by opportunity to project (or not yet); activate it, then start the run again with a new revision.',
    InvoiceItemsNotConfigured: "Add invoiceItems to the ERP instance's configuration and redeploy, then start the run again with a new revision.",
    ErpReferenceNotConfigured:
      "Look up in NetSuite the internal id of the currency named above, add it to the instance's currencyIds in the deployment configuration and deploy, then start the run again with a new revision.",
    VendorThrottled: 'The ERP kept throttling after every retry (month-end load); start the run again with a new revision once it is quieter.',
    VendorUnavailable: "The vendor kept failing after every retry; check the vendor's status, then start the run again with a new revision.",
    VendorRejected: 'The vendor refused the invoice for the reason above; correct the data, then start the run again with a new revision.',
    KantataTokenRevoked:
      "Kantata refused the integration's bearer token even after its secret was read again: it was revoked, or its application deleted. A Kantata administrator issues a new token (Settings > API, the registered application's OAuth token) and stores it as accessToken in the instance's secret in Secrets Manager; then start the run again with a new revision.",
    MalformedChangeEvent:
      "The relayed change event was refused and not acted on: one of its version fields is not a plain unsigned integer. Check the Event Relay configuration of the org; the record's next change, or the next approval, brings it in.",
    ChangedAfterBilling: 'Issue a credit note or an adjustment in the ERP if the change should be billed, then correct the entry in the PSA.',
    default: 'See the execution history for the failed step; start the run again with a new revision once fixed.',
  },
  'invoice-payment-status': {
    BusinessCentralNotificationRejected:
      'Answered 200 so Business Central keeps the subscription; nothing was processed. A wrong clientState means the subscription was made with another secret, or the request is not from BC: check the instance secret and the subscriptions (the renewal job recreates ours).',
    BusinessCentralUnknownInstance:
      'Answered 200 and nothing was processed: the path names no configured Business Central instance, and every such path is counted here. If a subscription of ours still points there (an instance renamed or removed), delete it in Business Central; otherwise someone is calling made-up URLs. Resolve this exception.',
    BusinessCentralHandshakeRefused:
      'A subscription handshake was refused (an unknown instance, or a validation token over 1,024 characters), so Business Central made no subscription to that URL. Our renewal job subscribes configured instances only: if this is not one of ours, someone tried to point a subscription at this API. Resolve this exception.',
    default: 'See the function log lines with this correlation id; the record waits in the queue or its DLQ.',
  },
};

/** The remediation of a workflow's failure by error name, or the workflow's default. */
export function remediationFor(workflow: Workflow, errorName: string): string {
  const texts = REMEDIATION[workflow] ?? {};
  return texts[errorName] ?? texts.default ?? 'See the function log lines with this correlation id.';
}
