import { type CrmSettings, type OpportunityWonEvent, parseCanonicalEvent } from '../../canonical';
import { SyncError } from '../common/errors';
import { type ChangeEventHeader, echoReason, fanOut, parseRelayedChange, type RecordChange } from '../common/salesforce-platform/change-events';
import { opportunityWonEvent, type SalesforceOpportunitySnapshot } from './opportunity-mapping';

/**
 * What Salesforce relays about opportunities, and what we make of it. Two shapes arrive, each on its own
 * relay and partner bus (a channel carries change events or platform events, never both):
 * `OpportunityChangeEvent` (Change Data Capture) and the org's won-deal platform event (`crm.dealWonEvent`,
 * `Deal_Won__e` by default), whose opportunity id field names the deal. Either way the opportunity is
 * re-read in full and judged as it is now; a won stage publishes the same canonical `opportunity.won` the
 * HubSpot intake does.
 */

/** The won-deal platform event when an instance names none, and its opportunity field. */
export const DEAL_WON_EVENT = { apiName: 'Deal_Won__e', opportunityIdField: 'Opportunity_Id__c' } as const;

/** One unit of work from a relayed event: a record to judge (deduplicated by key) or an entity to reconcile. */
export type RelayedWork =
  | { readonly kind: 'record'; readonly dedupKey: string; readonly recordId: string; readonly change: RecordChange; readonly header?: ChangeEventHeader }
  | { readonly kind: 'reconcile'; readonly entityName: string; readonly dedupKey: string };

/** A relayed event that is not one we take, refused with the reason. */
export class UnknownRelayedEventError extends SyncError {
  override readonly name = 'UnknownRelayedEvent';
}

/**
 * Reads a relayed event (the raw SQS body) into units of work: a multi-record change fans out. `dealWonEvent`
 * is the instance's won-deal platform event (crm.dealWonEvent).
 */
export function relayedWork(rawBody: string, dealWonEvent: { readonly apiName: string; readonly opportunityIdField: string } = DEAL_WON_EVENT): RelayedWork[] {
  const envelope = JSON.parse(rawBody) as { 'detail-type'?: string; detail?: { id?: string; payload?: Record<string, unknown> } };
  const detailType = envelope['detail-type'] ?? '';
  const { apiName, opportunityIdField } = dealWonEvent;
  if (detailType === apiName) {
    const payload = envelope.detail?.payload ?? {};
    const opportunityId = payload[opportunityIdField];
    if (typeof opportunityId !== 'string' || opportunityId === '') throw new UnknownRelayedEventError(`${apiName} without ${opportunityIdField}`);
    const eventId = typeof payload.EventUuid === 'string' ? payload.EventUuid : envelope.detail?.id;
    if (!eventId) throw new UnknownRelayedEventError(`${apiName} without EventUuid or id: it cannot be deduplicated`);
    return [
      {
        kind: 'record',
        dedupKey: `${apiName}:${eventId}`,
        recordId: opportunityId,
        change: { action: 'reread', recordId: opportunityId, dedupKey: eventId },
      },
    ];
  }
  if (detailType !== 'OpportunityChangeEvent')
    throw new UnknownRelayedEventError(`detail-type ${detailType || '(none)'} is neither OpportunityChangeEvent nor ${apiName}`);
  const { header, fields } = parseRelayedChange(rawBody);
  return fanOut(header, fields).map(
    (change): RelayedWork =>
      change.action === 'reconcile-entity'
        ? { kind: 'reconcile', entityName: change.entityName, dedupKey: `GAP_OVERFLOW:${header.transactionKey}` }
        : { kind: 'record', dedupKey: change.dedupKey, recordId: change.recordId, change, header },
  );
}

/** How late a delivery may be behind its commit before it means the relay stopped and is catching up. */
export const RELAY_RECOVERY_LAG_MS = 10 * 60 * 1000;

/**
 * The reconciliation a relayed event calls for, if any: GAP_OVERFLOW names no records, and a delivery
 * far behind its commit means Event Relay is recovering (it replays from where it stopped, and may have
 * skipped), so won deals since the checkpoint are compared with the registry. One request per overflow
 * event, and one per instance and hour of recovery, by their dedup keys.
 */
export function reconciliationNeeded(
  instance: string,
  work: readonly RelayedWork[],
  now: Date,
): { reason: 'gap-overflow' | 'relay-recovery'; dedupKey: string } | undefined {
  const overflow = work.find((w) => w.kind === 'reconcile');
  if (overflow) return { reason: 'gap-overflow', dedupKey: overflow.dedupKey };
  const committed = work.flatMap((w) => (w.kind === 'record' && w.header ? [w.header.commitTimestamp] : []))[0];
  if (committed !== undefined && now.getTime() - committed > RELAY_RECOVERY_LAG_MS) {
    return { reason: 'relay-recovery', dedupKey: `relay-recovery:${instance}:${now.toISOString().slice(0, 13)}` };
  }
  return undefined;
}

/** What judging one record needs. */
export interface OpportunityChangeDependencies {
  readonly settings: CrmSettings;
  /** The client id our writes carry (`Sforce-Call-Options: client=<id>`, the instance's callOptionsClient). */
  readonly clientId: string;
  /** The opportunity as it is now; undefined when the org has no such record. */
  readonly readOpportunity: (opportunityId: string) => Promise<SalesforceOpportunitySnapshot | undefined>;
  readonly publish: (event: OpportunityWonEvent) => Promise<void>;
  /** Records the change's commit number for the opportunity unless one at least as new is stored (the registry's recordVersion). */
  readonly recordCommit: (
    opportunityId: string,
    commitNumber: string,
  ) => Promise<{ readonly outcome: 'applied' } | { readonly outcome: 'stale'; readonly storedVersion: string }>;
  /** When we last wrote the record (the own-write log), if we did. */
  readonly lastOwnWrite: (recordId: string) => Promise<Date | undefined>;
  readonly now: () => Date;
}

/** What became of one record's change, for metrics and logs. */
export type OpportunityChangeOutcome = 'published' | 'not-won' | 'irrelevant' | 'echo' | 'stale' | 'deleted' | 'not-found';

/**
 * Judges one record of a relayed event. Our own writes coming back are dropped first (client id,
 * integration user, own-write log); a change older than one already seen never acts, so an
 * out-of-order delivery cannot roll a record back; only a stage change, a bumped sync revision, a
 * create or an undelete matter; GAP events and the platform event carry no values and are re-read.
 */
export async function judgeOpportunityChange(
  instance: string,
  work: Extract<RelayedWork, { kind: 'record' }>,
  correlationId: string,
  deps: OpportunityChangeDependencies,
): Promise<{ outcome: OpportunityChangeOutcome; reason?: string }> {
  const { change, header } = work;
  if (header) {
    const lastWrite = await deps.lastOwnWrite(work.recordId);
    const echo = echoReason(header, work.recordId, {
      clientId: deps.clientId,
      integrationUserId: deps.settings.integrationUserId ?? '(none)',
      recentWrites: lastWrite ? new Map([[work.recordId, lastWrite.getTime()]]) : new Map(),
    });
    if (echo) return { outcome: 'echo', reason: echo };
  }
  if (change.action === 'apply') {
    if (change.changeType === 'DELETE') return { outcome: 'deleted', reason: 'a deleted opportunity starts nothing; its project, if any, stays' };
    const watched = ['StageName', deps.settings.fields.syncRevision];
    const relevant = change.changeType !== 'UPDATE' || watched.some((f) => f in change.changed);
    if (!relevant) return { outcome: 'irrelevant' };
  }
  // Re-read before anything is written: an event naming a record the org does not have (made up, or
  // deleted since) leaves nothing behind in the registry.
  const snapshot = await deps.readOpportunity(work.recordId);
  if (snapshot === undefined) return { outcome: 'not-found', reason: `the org has no opportunity ${work.recordId}; nothing recorded` };
  if (header) {
    const recorded = await deps.recordCommit(work.recordId, header.commitNumber);
    // The same commit stored already is this change again after a failed attempt: it goes on.
    if (recorded.outcome === 'stale' && recorded.storedVersion !== header.commitNumber) {
      return { outcome: 'stale', reason: `commit ${header.commitNumber} is older than ${recorded.storedVersion}, already applied` };
    }
  }
  if (!deps.settings.wonStages.includes(String(snapshot.opportunity.StageName ?? ''))) return { outcome: 'not-won' };
  // Validated before publishing: a mapping bug must fail here, with the opportunity id, not downstream.
  const event = parseCanonicalEvent(
    opportunityWonEvent(instance, snapshot, deps.settings.fields, correlationId, deps.now(), header?.commitNumber),
  ) as OpportunityWonEvent;
  await deps.publish(event);
  return { outcome: 'published' };
}
