import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { parseCanonicalEvent } from '../../../canonical';
import { deterministicUuid } from '../../common/deterministic-id';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { opportunityWonEvent } from '../../salesforce/opportunity-mapping';
import { runReconciliation } from '../../salesforce/reconcile-deals';
import { canonicalPublisher } from '../../wiring/bus';
import { container } from '../../wiring/container';
import { crossReferences, instantCheckpoints } from '../../wiring/tables';
import { vendorPorts } from '../../wiring/vendor-ports';

const c = container('ReconcileWonDeals', 'read');
const vendors = vendorPorts(c);
const publish = canonicalPublisher(c);
const registry = crossReferences(c);
const checkpoints = instantCheckpoints(c);

/** A request to reconcile one CRM instance: from its schedule, or from a GAP_OVERFLOW. */
const ReconciliationRequest = z.object({ instance: z.string().min(1), reason: z.enum(['schedule', 'gap-overflow', 'relay-recovery', 'manual']) });

async function reconcile(record: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const request = ReconciliationRequest.parse(JSON.parse(record.body));
  const settings = c.config.vendorInstances.find((v) => v.id === request.instance && v.vendor === 'salesforce')?.crm;
  if (settings === undefined) throw new Error(`${request.instance} is not a configured Salesforce CRM instance`);
  const correlationId = `reconcile-${request.instance}-${record.messageId}`;
  log.appendKeys({ correlationId });
  const crm = vendors.ports({ execution: correlationId, correlationId }).salesforceFor(request.instance);
  const checkpointId = `checkpoint#reconcile-won-deals#${request.instance}`;
  const report = await runReconciliation({
    loadCheckpoint: () => checkpoints.load(checkpointId),
    saveCheckpoint: (at) => checkpoints.save(checkpointId, at),
    wonDealsSince: (since) => crm.wonOpportunitiesSince(settings.wonStages, since),
    known: async (dealId) => (await registry.linksOf(deterministicUuid('project', `salesforce:${request.instance}:${dealId}`))).length > 0,
    republish: async (dealId) => {
      const snapshot = await crm.readOpportunity(dealId);
      // Deleted since the query listed it: nothing to publish.
      if (snapshot === undefined) return 'not-won';
      if (!settings.wonStages.includes(String(snapshot.opportunity.StageName ?? ''))) return 'not-won';
      await publish('ps-sync.reconciliation', [
        parseCanonicalEvent(opportunityWonEvent(request.instance, snapshot, settings.fields, correlationId, c.clock())),
      ]);
      return 'published';
    },
    now: c.clock,
  });
  metrics.addMetric('ReconciledDeals-checked', 'Count', report.checked);
  metrics.addMetric('ReconciledDeals-missing', 'Count', report.missing.length);
  // The report by legal entity: what ops reads to see which entity's deals the relay lost.
  log.info('Won deals reconciled', {
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
