import type { CanonicalEvent, CertiniaSettings, SystemRef } from '../../canonical';
import { SyncError } from '../common/errors';
import { fanOut, parseRelayedChange, type RecordChange } from '../common/salesforce-platform/change-events';
import { CERTINIA_FIELDS, CERTINIA_OBJECTS, type CertiniaObjectKind, type CertiniaRecord, DECISIONS } from './approved-work';

/**
 * Certinia's change events as Event Relay delivers them: a Certinia org is a Salesforce org, so its
 * Change Data Capture events on `pse__Timecard_Header__c`, `pse__Expense__c` and `pse__Milestone__c`
 * are read, fanned out per record and keyed exactly as Salesforce's (docs/vendors/certinia.md). Each record is then
 * re-read and judged as it is now, so an event's own values, a GAP event without values and a late
 * or replayed event all lead to the same answer.
 */

/** One record's change from a relayed event, deduplicated on `transactionKey:sequenceNumber:recordId`. */
export interface CertiniaWork {
  readonly kind: CertiniaObjectKind;
  readonly recordId: string;
  readonly dedupKey: string;
  readonly change: Exclude<RecordChange, { action: 'reconcile-entity' }>;
  /** The header's `changedFields`: what an UPDATE touched, whether or not its new value is in the payload. */
  readonly changedFields: readonly string[];
}

/** A relayed event of an object this intake does not take, refused with the reason. */
export class UnknownCertiniaEventError extends SyncError {
  override readonly name = 'UnknownCertiniaEvent';
}

/**
 * GAP_OVERFLOW names no records: changes were lost that only a reconciliation could find, and there
 * is none for Certinia yet. Refused, so the event ends in the dead-letter queue and its alarm fires
 * rather than approved work silently going unbilled.
 */
export class CertiniaChangesLostError extends SyncError {
  override readonly name = 'CertiniaChangesLost';
}

/** Reads a relayed event (the raw SQS body) into one unit of work per record. */
export function certiniaWork(rawBody: string): CertiniaWork[] {
  const { header, fields } = parseRelayedChange(rawBody);
  const kind = (Object.keys(CERTINIA_OBJECTS) as CertiniaObjectKind[]).find((k) => CERTINIA_OBJECTS[k] === header.entityName);
  if (kind === undefined) throw new UnknownCertiniaEventError(`entity ${header.entityName} is none of ${Object.values(CERTINIA_OBJECTS).join(', ')}`);
  return fanOut(header, fields).map((change) => {
    if (change.action === 'reconcile-entity') {
      throw new CertiniaChangesLostError(
        `GAP_OVERFLOW on ${change.entityName} (transaction ${header.transactionKey}): Event Relay lost changes without naming them; find approvals since ${new Date(header.commitTimestamp).toISOString()} in Certinia and save them again`,
      );
    }
    return { kind, recordId: change.recordId, dedupKey: change.dedupKey, change, changedFields: header.changedFields };
  });
}

/** What judging one record needs. */
export interface CertiniaChangeDependencies {
  readonly settings: CertiniaSettings;
  /** The record as it is now, with the fields `approved-work` reads; undefined when it no longer exists. */
  readonly read: (kind: CertiniaObjectKind, recordId: string) => Promise<CertiniaRecord | undefined>;
  readonly publish: (events: readonly CanonicalEvent[]) => Promise<void>;
}

/** What became of one record's change, for metrics and logs. */
export type CertiniaChangeOutcome = 'published' | 'not-billable' | 'irrelevant' | 'deleted' | 'gone';

/**
 * Judges one record's change: a DELETE bills and retracts nothing (work already approved stays in the
 * ledger; correcting it is a person's decision); an UPDATE that touched no field billing reads is
 * dropped unread; anything else is re-read and decided by the org's status values.
 */
export async function judgeCertiniaChange(
  source: SystemRef,
  work: CertiniaWork,
  correlationId: string,
  deps: CertiniaChangeDependencies,
): Promise<{ outcome: CertiniaChangeOutcome; reason: string; published: number }> {
  const { change } = work;
  if (change.action === 'apply' && change.changeType === 'DELETE') {
    return { outcome: 'deleted', reason: 'a deleted record retracts nothing already approved; a credit or adjustment is a person decision', published: 0 };
  }
  if (change.action === 'apply' && change.changeType === 'UPDATE') {
    const watched: readonly string[] = CERTINIA_FIELDS[work.kind];
    if (!work.changedFields.some((f) => watched.includes(f)))
      return { outcome: 'irrelevant', reason: `changed ${work.changedFields.join(', ') || 'nothing'}, none of which billing reads`, published: 0 };
  }
  const record = await deps.read(work.kind, work.recordId);
  if (record === undefined) return { outcome: 'gone', reason: `${CERTINIA_OBJECTS[work.kind]} ${work.recordId} no longer exists`, published: 0 };
  const decision = DECISIONS[work.kind](source, record, deps.settings, correlationId);
  if (decision.events.length === 0) return { outcome: 'not-billable', reason: decision.reason, published: 0 };
  await deps.publish(decision.events);
  return { outcome: 'published', reason: decision.reason, published: decision.events.length };
}
