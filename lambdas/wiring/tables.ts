import { type AuditEntry, type AuditTrail, DynamoDbAuditTrail, lastWriteAt } from '../common/audit-trail';
import { documents } from '../common/clients/dynamodb';
import { DynamoDbCrossReferenceRegistry } from '../common/cross-reference/dynamodb-registry';
import { ArchivingAuditTrail } from '../common/payload-archive';
import { InstantCheckpointStore, PollCheckpointStore } from '../common/polling/checkpoint-store';
import type { WriteJournal } from '../common/write-journal';
import { DynamoDbBillingLedger } from '../dynamodb/billing-ledger';
import { DynamoDbWriteJournal } from '../dynamodb/write-journal';
import type { BillingLedger } from '../ports/billing-ledger';
import type { Container } from './container';
import { payloadArchive } from './payload-archive';

/** The cross-reference registry (the function must declare the crossReferences table). */
export function crossReferences(c: Container): DynamoDbCrossReferenceRegistry {
  return new DynamoDbCrossReferenceRegistry(documents(), c.env.tableName('crossReferences'));
}

/** The progress of multi-write steps, in the cross-reference table (the function must declare it). */
export function writeJournal(c: Container): WriteJournal {
  return new DynamoDbWriteJournal(documents(), c.env.tableName('crossReferences'), c.clock);
}

/** The billing ledger (the function must declare the billingLedger table). */
export function billingLedger(c: Container): BillingLedger {
  return new DynamoDbBillingLedger(documents(), c.env.tableName('billingLedger'));
}

/** When we last wrote a vendor record, from the audit trail (the change intake's echo check). */
export function lastOwnWrite(c: Container): (record: Pick<AuditEntry, 'vendor' | 'instance' | 'recordType' | 'recordKey'>) => Promise<Date | undefined> {
  const table = c.env.tableName('audit');
  return (record) => lastWriteAt(documents(), table, record);
}

/** Poll checkpoints, in the idempotency table. */
export function pollCheckpoints(c: Container): PollCheckpointStore {
  return new PollCheckpointStore(documents(), c.env.tableName('idempotency'));
}

/** Checkpoints that are one instant (reconciliation runs), in the idempotency table. */
export function instantCheckpoints(c: Container): InstantCheckpointStore {
  return new InstantCheckpointStore(documents(), c.env.tableName('idempotency'));
}

/** Audit entries are kept this many days (the audit table's TTL); one number for every flow. */
export const AUDIT_RETENTION_DAYS = 400;

/**
 * The audit trail, append-only (the function must declare the audit table), with each entry's payload
 * archived under the hash the entry stores (the payload archive is implied by the append, see usesOf).
 */
export function auditTrail(c: Container): AuditTrail {
  const trail = new DynamoDbAuditTrail(documents(), c.env.tableName('audit'), AUDIT_RETENTION_DAYS);
  // No error line here: a queue consumer logs through its record's logger, which reports the failure
  // (the error names the payload's hash and the write); a task's failure is in the execution history.
  return new ArchivingAuditTrail(trail, payloadArchive(c));
}
