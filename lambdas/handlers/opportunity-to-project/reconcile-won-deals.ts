import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { parseCanonicalEvent } from '../../../canonical';
import { salesforceFor } from '../../wiring/adapters';
import { documents } from '../../shared/clients/dynamodb';
import { publishCanonical } from '../../shared/canonical-bus';
import { DynamoDbCrossReferenceRegistry } from '../../shared/cross-reference/dynamodb-registry';
import { deterministicUuid } from '../../shared/deterministic-id';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { opportunityWonEvent } from '../../salesforce/opportunity-mapping';
import { runReconciliation } from '../../salesforce/reconcile-deals';
import { sqsConsumer } from '../../shared/sqs-consumer';


/** A request to reconcile one CRM instance: from its schedule, or from a GAP_OVERFLOW. */
const ReconciliationRequest = z.object({ instance: z.string().min(1), reason: z.enum(['schedule', 'gap-overflow', 'relay-recovery', 'manual']) });

async function reconcile(record: SQSRecord): Promise<void> {
  const request = ReconciliationRequest.parse(JSON.parse(record.body));
  const cfg = deploymentConfig();
  const settings = cfg.vendorInstances.find((v) => v.id === request.instance && v.vendor === 'salesforce')?.crm;
  if (settings === undefined) throw new Error(`${request.instance} is not a configured Salesforce CRM instance`);
  const correlationId = `reconcile-${request.instance}-${record.messageId}`;
  logger.appendKeys({ correlationId });
  const crm = salesforceFor(cfg, request.instance, vendorSecret);
  const registry = new DynamoDbCrossReferenceRegistry(documents(), requiredEnvironment('CROSS_REFERENCES_TABLE_NAME'));
  const table = requiredEnvironment('IDEMPOTENCY_TABLE_NAME');
  const checkpointKey = { id: `checkpoint#reconcile-won-deals#${request.instance}` };
  const report = await runReconciliation({
    loadCheckpoint: async () => {
      const { Item } = await documents().send(new GetCommand({ TableName: table, Key: checkpointKey, ConsistentRead: true }));
      return typeof Item?.checkpoint === 'string' ? new Date(Item.checkpoint) : undefined;
    },
    saveCheckpoint: async (at) => void (await documents().send(new PutCommand({ TableName: table, Item: { ...checkpointKey, checkpoint: at.toISOString() } }))),
    wonDealsSince: (since) => crm.wonOpportunitiesSince(settings.wonStages, since),
    known: async (dealId) => (await registry.linksOf(deterministicUuid('project', `salesforce:${request.instance}:${dealId}`))).length > 0,
    republish: async (dealId) => {
      const snapshot = await crm.readOpportunity(dealId);
      if (!settings.wonStages.includes(String(snapshot.opportunity.StageName ?? ''))) return 'not-won';
      await publishCanonical('ps-sync.reconciliation', [parseCanonicalEvent(opportunityWonEvent(request.instance, snapshot, settings.fields, correlationId, new Date()))]);
      return 'published';
    },
    now: () => new Date(),
  });
  metrics.addMetric('ReconciledDeals-checked', 'Count', report.checked);
  metrics.addMetric('ReconciledDeals-missing', 'Count', report.missing.length);
  // The report by legal entity: what ops reads to see which entity's deals the relay lost.
  logger.info('Won deals reconciled', {
    instance: request.instance,
    reason: request.reason,
    since: report.since,
    checked: report.checked,
    missing: report.missing.map((d) => d.id),
    republished: report.republished,
    byLegalEntity: report.byLegalEntity,
  });
}

/** Consumes reconciliation requests, one at a time (batch size 1 in the declaration). */
export const handler = sqsConsumer(reconcile);
