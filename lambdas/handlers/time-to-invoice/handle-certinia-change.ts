import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { CertiniaSettings } from '../../../canonical';
import { type CertiniaWork, certiniaWork, judgeCertiniaChange } from '../../certinia/certinia-changes';
import { idempotencyConfig, idempotencyStore } from '../../common/idempotency';
import { metrics } from '../../common/runtime';
import { readRelayedOrRefuse } from '../../common/salesforce-platform/change-events';
import { sqsConsumer } from '../../common/sqs-consumer';
import { deferringWhenBusy } from '../../common/sqs-deferral';
import { canonicalPublisher } from '../../wiring/bus';
import { container } from '../../wiring/container';
import { exceptionRecorder } from '../../wiring/exceptions';
import { inboundArchiver } from '../../wiring/payload-archive';
import { deferToQueue } from '../../wiring/queues';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('HandleCertiniaChange', 'read');
const exceptions = exceptionRecorder(c);
const vendors = vendorPorts(c);
const publish = canonicalPublisher(c);
const archiveRelayedEvent = inboundArchiver(c, 'relayed-event');
const config = idempotencyConfig('dedupKey', c.env.idempotencyTtlSeconds);

type Work = CertiniaWork & { instance: string; correlationId: string };

// Deduplicated on the relay's key (transactionKey + sequenceNumber + record id, docs/vendors/certinia.md): relayed duplicates
// and a relay's replay return the first result without reading or publishing again.
const judgeOnce = makeIdempotent(
  async (work: Work) => {
    const settings = CertiniaSettings.parse(c.config.vendorInstances.find((v) => v.id === work.instance)?.certinia ?? {});
    const certinia = vendors.ports({ execution: `relay-${work.dedupKey}`, correlationId: work.correlationId }).certiniaFor(work.instance);
    return judgeCertiniaChange({ vendor: 'certinia', instance: work.instance }, work, work.correlationId, {
      settings,
      read: (kind, id) => certinia.read(kind, id),
      publish: (events) => publish('ps-sync.certinia', events),
    });
  },
  { persistenceStore: idempotencyStore(c.env.tableName('idempotency')), config },
);

async function processRecord(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const envelope = JSON.parse(record.body) as { id?: string; source?: string };
  // The relayed event's id runs through every log line and the canonical events it leads to.
  const correlationId = envelope.id ?? record.messageId;
  log.appendKeys({ correlationId });
  const instance = c.config.eventRelays.find((r) => r.eventSourceName === envelope.source)?.instance;
  if (instance === undefined) throw new Error(`No event relay is configured for source ${String(envelope.source)}`);
  // The relayed event as received, before it is judged: no archive, no judgement (the record is redelivered).
  await archiveRelayedEvent(record.body, { vendor: 'certinia', instance, correlationId, receivedAt: c.clock() }, log);
  const works = await readRelayedOrRefuse(() => certiniaWork(record.body), {
    workflow: 'time-to-invoice',
    source: { vendor: 'certinia', instance },
    correlationId,
    record: (exception) => exceptions.record(exception, c.clock()),
    log,
  });
  if (works === undefined) return;
  for (const work of works) {
    const { outcome, reason, published } = await judgeOnce({ ...work, instance, correlationId });
    metrics.addMetric(`CertiniaChange-${outcome}`, 'Count', 1);
    log.info('Certinia change judged', { outcome, reason, published, kind: work.kind, recordId: work.recordId });
  }
}

/** Consumes relayed Certinia timecard, expense and milestone changes; failed records are reported back for redelivery. */
export const handler = sqsConsumer(deferringWhenBusy(processRecord, deferToQueue(c, 'CertiniaChanges')), { idempotency: config });
