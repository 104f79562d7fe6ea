import type { SharedTable } from './declarations';

/**
 * The names of a regional stack's outputs, shared by the stack that writes them and by `npm run smoke`
 * (and the local stack's stand-in for them) that reads them. Pure names: no CDK here, so the smoke
 * starts without loading aws-cdk-lib.
 */
export const STACK_OUTPUTS = {
  webhookBaseUrl: 'WebhookBaseUrl',
  /** The ops API's URL with its stage, which `npm run ops` signs its requests for. */
  opsApiUrl: 'OpsApiUrl',
  /** Kept as first published (`CrossReferenceTableName`, `ExceptionsTableName`); the others follow their pattern. */
  tables: {
    crossReferences: 'CrossReferenceTableName',
    idempotency: 'IdempotencyTableName',
    exceptions: 'ExceptionsTableName',
    audit: 'AuditTrailTableName',
    billingLedger: 'BillingLedgerTableName',
  } satisfies Record<SharedTable, string>,
  exceptionQueueUrl: 'ExceptionQueueUrl',
  /** The payload archive's bucket, where an audit entry's payload is kept as `payloads/<payloadSha256>`. */
  payloadArchiveBucketName: 'PayloadArchiveBucketName',
  queueUrl: (queueId: string) => `${queueId}QueueUrl`,
  stateMachineArn: (stateMachineId: string) => `${stateMachineId}StateMachineArn`,
  /** The URL to register as the target of the HubSpot app of an instance. */
  hubSpotWebhookUrl: (instance: string) => `HubSpotWebhookUrl${outputCase(instance)}`,
  /** The URL the renewal job subscribes in Business Central for an instance. */
  businessCentralWebhookUrl: (instance: string) => `BusinessCentralWebhookUrl${outputCase(instance)}`,
} as const;

/** Output ids are alphanumeric: `hubspot-main` → `HubspotMain`. */
function outputCase(kebab: string): string {
  return kebab
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The path below the webhook base URL that a vendor instance's webhooks arrive on. */
export function webhookPath(vendor: 'hubspot' | 'business-central', instance: string): string {
  return `webhooks/${vendor}/${instance}`;
}
