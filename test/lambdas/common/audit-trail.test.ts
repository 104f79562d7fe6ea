import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAuditTrail, lastWriteAt } from '../../../lambdas/common/audit-trail';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { startDynalite } from '../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('audit', TABLE_KEYS.audit);
});
afterAll(async () => db.close());

const entry = (recordKey: string, at: string, execution: string) => ({
  vendor: 'salesforce',
  instance: 'salesforce-main',
  recordType: 'opportunity',
  recordKey,
  operation: 'update',
  execution,
  correlationId: 'c',
  payload: { PS_Sync_Status__c: 'synced' },
  result: 'ok' as const,
  status: '204',
  at: new Date(at),
});

describe('the audit trail', () => {
  it('keeps each write once, with a payload hash and not the payload', async () => {
    const trail = new DynamoDbAuditTrail(db.documents, 'audit', 400);
    await trail.record(entry('006A', '2026-12-01T10:00:00Z', 'x-1'));

    await expect(trail.record(entry('006A', '2026-12-01T10:00:00Z', 'x-1'))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('answers when a record was last written (the own-write log), and nothing for a record never written', async () => {
    const trail = new DynamoDbAuditTrail(db.documents, 'audit', 400);
    await trail.record(entry('006B', '2026-12-01T09:00:00Z', 'x-2'));
    await trail.record(entry('006B', '2026-12-01T11:30:00Z', 'x-3'));
    await trail.record(entry('006C', '2026-12-01T12:00:00Z', 'x-4'));
    const of = (recordKey: string) =>
      lastWriteAt(db.documents, 'audit', { vendor: 'salesforce', instance: 'salesforce-main', recordType: 'opportunity', recordKey });

    expect(await of('006B')).toEqual(new Date('2026-12-01T11:30:00Z'));
    expect(await of('006Z')).toBeUndefined();
  });
});
