import type { CrmFieldNames, OpportunityWonEvent } from '../../canonical';
import { parseCanonicalEvent } from '../../canonical';
import { opportunityWonEvent } from './deal-mapping';
import type { HubSpotDealSnapshot } from './hubspot-crm';
import { dealEventKind, type QueuedDealEvent } from './webhook-events';

/** What handling one deal event needs. */
export interface DealEventDependencies {
  readonly settingsOf: (instance: string) => { wonStages: readonly string[]; fields: CrmFieldNames };
  readonly readDeal: (instance: string, dealId: string) => Promise<HubSpotDealSnapshot>;
  readonly publish: (event: OpportunityWonEvent) => Promise<void>;
  readonly now: () => Date;
}

/** What became of a deal event, for metrics and logs. */
export type DealEventOutcome = 'published' | 'not-won' | 'irrelevant';

/**
 * Handles one verified HubSpot deal event. Webhooks carry only the changed property and arrive out
 * of order, so the full deal is re-read and judged as it is now: a won stage (per portal, from
 * configuration) publishes `opportunity.won`. A stage change or a bumped sync revision are the
 * changes that matter; others are irrelevant. Legacy (`deal.*`) and generic (`object.*` of a deal)
 * events are one and the same here.
 */
export async function handleDealEvent(queued: QueuedDealEvent, deps: DealEventDependencies): Promise<DealEventOutcome> {
  const { event, instance } = queued;
  const settings = deps.settingsOf(instance);
  const kind = dealEventKind(event);
  const relevant =
    kind === 'creation' || (kind === 'propertyChange' && (event.propertyName === 'dealstage' || event.propertyName === settings.fields.syncRevision));
  if (!relevant) return 'irrelevant';
  const snapshot = await deps.readDeal(instance, String(event.objectId));
  if (!settings.wonStages.includes(snapshot.deal.properties.dealstage ?? '')) return 'not-won';
  // Validated before publishing: a mapping bug must fail here, with the deal id, not downstream.
  const canonical = parseCanonicalEvent(opportunityWonEvent(instance, snapshot, settings.fields, queued.correlationId, deps.now())) as OpportunityWonEvent;
  await deps.publish(canonical);
  return 'published';
}
