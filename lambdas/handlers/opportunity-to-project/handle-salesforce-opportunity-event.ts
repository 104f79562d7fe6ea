import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { callOptionsClientOf, dealWonEventOf } from '../../../canonical/deployment-config';
import { deterministicUuid } from '../../common/deterministic-id';
import { idempotencyConfig, idempotencyStore } from '../../common/idempotency';
import { metrics } from '../../common/runtime';
import { readRelayedOrRefuse } from '../../common/salesforce-platform/change-events';
import { sqsConsumer } from '../../common/sqs-consumer';
import { deferringWhenBusy } from '../../common/sqs-deferral';
import { judgeOpportunityChange, type RelayedWork, reconciliationNeeded, relayedWork } from '../../salesforce/opportunity-changes';
import { canonicalPublisher } from '../../wiring/bus';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { inboundArchiver } from '../../wiring/payload-archive';
import { deferToQueue, queueSender } from '../../wiring/queues';
import { crossReferences, lastOwnWrite } from '../../wiring/tables';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('HandleSalesforceOpportunityEvent', 'read');
const exceptions = exceptionRecorder(c);
const vendors = vendorPorts(c);
const publish = canonicalPublisher(c);
const queues = queueSender(c);
const registry = crossReferences(c);
const ownWriteAt = lastOwnWrite(c);
const archiveRelayedEvent = inboundArchiver(c, 'relayed-event');
const config = idempotencyConfig('dedupKey', c.env.idempotencyTtlSeconds);
const persistenceStore = idempotencyStore(c.env.tableName('idempotency'));

/** The Salesforce instance whose partner event source sent an event (an org may have several relays). */
function instanceOf(source: string): string {
  const relay = c.config.eventRelays.find((r) => r.eventSourceName === source);
  if (relay === undefined) throw new Error(`No event relay is configured for source ${source}`);
  return relay.instance;
}

function instanceConfigOf(instance: string) {
  const config = c.config.vendorInstances.find((v) => v.id === instance);
  if (config === undefined) throw new Error(`${instance} is not a configured vendor instance`);
  return config;
}

type RecordWork = Extract<RelayedWork, { kind: 'record' }> & { instance: string; correlationId: string };

// Deduplicated on the relay's key (transactionKey + sequenceNumber + record id, docs/vendors/salesforce.md):
// relayed duplicates and a 3-day relay replay return the first result.
const judgeOnce = makeIdempotent(
  async (work: RecordWork) => {
    const settings = c.config.vendorInstances.find((v) => v.id === work.instance)?.crm;
    if (settings === undefined) throw new Error(`${work.instance} is not a configured CRM instance`);
    const crm = vendors.ports({ execution: `relay-${work.dedupKey}`, correlationId: work.correlationId }).salesforceFor(work.instance);
    const source = { vendor: 'salesforce' as const, instance: work.instance };
    return judgeOpportunityChange(work.instance, work, work.correlationId, {
      settings,
      clientId: callOptionsClientOf(c.config, instanceConfigOf(work.instance)),
      readOpportunity: (id) => crm.readOpportunity(id),
      publish: (event) => publish('ps-sync.salesforce', [event]),
      recordCommit: (opportunityId, commitNumber) => {
        const globalId = deterministicUuid('project', `salesforce:${work.instance}:${opportunityId}`);
        return registry.recordVersion({ globalId, source, version: commitNumber });
      },
      lastOwnWrite: (recordId) => ownWriteAt({ vendor: 'salesforce', instance: work.instance, recordType: 'opportunity', recordKey: recordId }),
      now: c.clock,
    });
  },
  { persistenceStore, config },
);

// One reconciliation request per dedup key (an overflow event, an hour of relay recovery).
const requestReconciliationOnce = makeIdempotent(
  async (request: { instance: string; reason: string; dedupKey: string }) => {
    await queues.send('DealReconciliationRequests', [request]);
    return 'requested';
  },
  { persistenceStore, config },
);

async function processRecord(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const envelope = JSON.parse(record.body) as { id?: string; source?: string };
  // The relayed event's id runs through every log line and the canonical event it leads to.
  const correlationId = envelope.id ?? record.messageId;
  log.appendKeys({ correlationId });
  const instance = instanceOf(String(envelope.source));
  // The relayed event as received, before it is judged: no archive, no judgement (the record is redelivered).
  await archiveRelayedEvent(record.body, { vendor: 'salesforce', instance, correlationId, receivedAt: c.clock() }, log);
  const works = await readRelayedOrRefuse(() => relayedWork(record.body, dealWonEventOf(instanceConfigOf(instance).crm)), {
    workflow: 'opportunity-to-project',
    source: { vendor: 'salesforce', instance },
    correlationId,
    record: (exception) => exceptions.record(exception, c.clock()),
    log,
  });
  if (works === undefined) return;
  const reconciliation = reconciliationNeeded(instance, works, c.clock());
  if (reconciliation) {
    await requestReconciliationOnce({ instance, ...reconciliation });
    metrics.addMetric(`SalesforceChange-reconcile-${reconciliation.reason}`, 'Count', 1);
    log.warn('Reconciliation of won deals requested', { instance, reason: reconciliation.reason });
  }
  for (const work of works) {
    if (work.kind === 'reconcile') continue;
    const { outcome, reason } = await judgeOnce({ ...work, instance, correlationId });
    metrics.addMetric(`SalesforceChange-${outcome}`, 'Count', 1);
    log.info('Salesforce opportunity event judged', { outcome, reason, recordId: work.recordId });
  }
}

/** Consumes relayed Salesforce opportunity events; failed records are reported back for redelivery. */
export const handler = sqsConsumer(deferringWhenBusy(processRecord, deferToQueue(c, 'SalesforceOpportunityEvents')), { idempotency: config });
