import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { deterministicUuid } from '../../shared/deterministic-id';
import { salesforceFor } from '../../wiring/adapters';
import { lastWriteAt } from '../../shared/audit-trail';
import { documents } from '../../shared/clients/dynamodb';
import { publishCanonical } from '../../shared/canonical-bus';
import { sqs } from '../../shared/clients/sqs';
import { DynamoDbCrossReferenceRegistry } from '../../shared/cross-reference/dynamodb-registry';
import { idempotencyConfig, idempotencyStore } from '../../shared/idempotency';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../../shared/runtime';
import { vendorSecret } from '../../wiring/secrets';
import { type RelayedWork, judgeOpportunityChange, reconciliationNeeded, relayedWork } from '../../salesforce/opportunity-changes';
import { sqsConsumer } from '../../shared/sqs-consumer';

const config = idempotencyConfig('dedupKey');

/** The Salesforce instance whose partner event source sent an event. */
function instanceOf(source: string): string {
  const relay = deploymentConfig().eventRelays.find((r) => r.eventSourceName === source);
  if (relay === undefined) throw new Error(`No event relay is configured for source ${source}`);
  return relay.instance;
}

type RecordWork = Extract<RelayedWork, { kind: 'record' }> & { instance: string; correlationId: string };

// Deduplicated on VENDORS.md's key (transactionKey + sequenceNumber + record id): relayed duplicates
// and a 3-day relay replay return the first result.
const judgeOnce = makeIdempotent(
  async (work: RecordWork) => {
    const cfg = deploymentConfig();
    const settings = cfg.vendorInstances.find((v) => v.id === work.instance)?.crm;
    if (settings === undefined) throw new Error(`${work.instance} is not a configured CRM instance`);
    const crm = salesforceFor(cfg, work.instance, vendorSecret);
    const registry = new DynamoDbCrossReferenceRegistry(documents(), requiredEnvironment('CROSS_REFERENCES_TABLE_NAME'));
    const source = { vendor: 'salesforce' as const, instance: work.instance };
    return judgeOpportunityChange(work.instance, work, work.correlationId, {
      settings,
      clientId: cfg.name,
      readOpportunity: (id) => crm.readOpportunity(id),
      publish: (event) => publishCanonical('ps-sync.salesforce', [event]),
      recordCommit: (opportunityId, commitNumber) => {
        const globalId = deterministicUuid('project', `salesforce:${work.instance}:${opportunityId}`);
        return registry.recordVersion({ globalId, source, version: commitNumber });
      },
      lastOwnWrite: (recordId) => lastWriteAt(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), { vendor: 'salesforce', instance: work.instance, recordType: 'opportunity', recordKey: recordId }),
      now: () => new Date(),
    });
  },
  { persistenceStore: idempotencyStore(), config },
);

// One reconciliation request per dedup key (an overflow event, an hour of relay recovery).
const requestReconciliationOnce = makeIdempotent(
  async (request: { instance: string; reason: string; dedupKey: string }) => {
    await sqs().send(new SendMessageCommand({ QueueUrl: requiredEnvironment('DEAL_RECONCILIATION_REQUESTS_QUEUE_URL'), MessageBody: JSON.stringify(request) }));
    return 'requested';
  },
  { persistenceStore: idempotencyStore(), config },
);

async function processRecord(record: SQSRecord): Promise<void> {
  const envelope = JSON.parse(record.body) as { id?: string; source?: string };
  const instance = instanceOf(String(envelope.source));
  // The relayed event's id runs through every log line and the canonical event it leads to.
  const correlationId = envelope.id ?? record.messageId;
  logger.appendKeys({ correlationId });
  const works = relayedWork(record.body);
  const reconciliation = reconciliationNeeded(instance, works, new Date());
  if (reconciliation) {
    await requestReconciliationOnce({ instance, ...reconciliation });
    metrics.addMetric(`SalesforceChange-reconcile-${reconciliation.reason}`, 'Count', 1);
    logger.warn('Reconciliation of won deals requested', { instance, reason: reconciliation.reason });
  }
  for (const work of works) {
    if (work.kind === 'reconcile') continue;
    const { outcome, reason } = await judgeOnce({ ...work, instance, correlationId });
    metrics.addMetric(`SalesforceChange-${outcome}`, 'Count', 1);
    logger.info('Salesforce opportunity event judged', { outcome, reason, recordId: work.recordId });
  }
}

/** Consumes relayed Salesforce opportunity events; failed records are reported back for redelivery. */
export const handler = sqsConsumer(processRecord, { idempotency: config });
