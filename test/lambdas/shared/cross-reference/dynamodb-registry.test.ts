import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCrossReferenceRegistry } from '../../../../lambdas/shared/cross-reference/dynamodb-registry';
import { CrossReferenceConflictError, type NativeRecord } from '../../../../lambdas/shared/cross-reference/registry';
import { crossReferenceKeys } from '../../../../lambdas/shared/cross-reference/table-schema';
import { TABLE_KEYS } from '../../../../lib/topology/tables';
import { startDynalite } from '../../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
let registry: DynamoDbCrossReferenceRegistry;

beforeAll(async () => {
  db = await startDynalite('cross-references', TABLE_KEYS.crossReferences);
  registry = new DynamoDbCrossReferenceRegistry(db.documents, 'cross-references');
});
afterAll(async () => db.close());

const netsuiteUs = { vendor: 'netsuite', instance: 'netsuite-us' } as const;
const hubspot = { vendor: 'hubspot', instance: 'hubspot-main' } as const;
const kantata = { vendor: 'kantata', instance: 'kantata-global' } as const;
const customerIn = (system: NativeRecord['system'], nativeId: string): NativeRecord => ({ entityType: 'customer', system, nativeId });

describe('claimNativeRecord', () => {
  it('claims a native id for a global id, which then resolves to it', async () => {
    const globalId = randomUUID();

    const result = await registry.claimNativeRecord(customerIn(netsuiteUs, '1001'), globalId);

    expect(result).toEqual({ outcome: 'claimed', globalId });
    expect(await registry.resolve(customerIn(netsuiteUs, '1001'))).toBe(globalId);
    expect(await registry.linksOf(globalId)).toEqual([{ entityType: 'customer', system: netsuiteUs, state: 'completed', nativeId: '1001' }]);
  });

  it('lets exactly one of twenty concurrent creators claim a NetSuite customer id, and tells the rest who won', async () => {
    const contenders = Array.from({ length: 20 }, () => randomUUID());

    const results = await Promise.all(contenders.map((g) => registry.claimNativeRecord(customerIn(netsuiteUs, '2002'), g)));

    const winners = results.filter((r) => r.outcome === 'claimed');
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((r) => r.globalId))).toEqual(new Set([winners[0]!.globalId]));
    expect(await registry.resolve(customerIn(netsuiteUs, '2002'))).toBe(winners[0]!.globalId);
  });

  it('treats the winner claiming again (a retry) as claimed', async () => {
    const globalId = randomUUID();
    await registry.claimNativeRecord(customerIn(hubspot, '77'), globalId);

    expect(await registry.claimNativeRecord(customerIn(hubspot, '77'), globalId)).toEqual({ outcome: 'claimed', globalId });
  });

  it('keeps the same native id in two instances apart', async () => {
    const us = randomUUID();
    const eu = randomUUID();
    await registry.claimNativeRecord(customerIn(netsuiteUs, '3003'), us);
    await registry.claimNativeRecord(customerIn({ vendor: 'netsuite', instance: 'netsuite-eu' }, '3003'), eu);

    expect(await registry.resolve(customerIn(netsuiteUs, '3003'))).toBe(us);
    expect(await registry.resolve(customerIn({ vendor: 'netsuite', instance: 'netsuite-eu' }, '3003'))).toBe(eu);
  });
});

describe('reserveCreate and completeCreate', () => {
  it('reserves a Kantata create before the call; a retry after a crash finds the reservation instead of creating again', async () => {
    const project = randomUUID();

    const first = await registry.reserveCreate(project, 'project', kantata, 'opp-1-r1');
    // The process dies here, before or after the POST; the retry asks again.
    const retry = await registry.reserveCreate(project, 'project', kantata, 'opp-1-r1');

    expect(first).toEqual({ outcome: 'reserved' });
    expect(retry).toEqual({ outcome: 'existing', link: { entityType: 'project', system: kantata, state: 'pending', execution: 'opp-1-r1' } });
  });

  it('completes a reservation with the native id, which then resolves and reports completed', async () => {
    const project = randomUUID();
    await registry.reserveCreate(project, 'project', kantata, 'opp-2-r1');

    await registry.completeCreate(project, 'project', kantata, '39018');

    expect(await registry.reserveCreate(project, 'project', kantata, 'opp-2-r1')).toEqual({
      outcome: 'existing',
      link: { entityType: 'project', system: kantata, state: 'completed', nativeId: '39018', execution: 'opp-2-r1' },
    });
    expect(await registry.resolve({ entityType: 'project', system: kantata, nativeId: '39018' })).toBe(project);
    await expect(registry.completeCreate(project, 'project', kantata, '39018')).resolves.toBeUndefined();
  });

  it('refuses to complete with a native id that another global id owns, or a second native id', async () => {
    const owner = randomUUID();
    const other = randomUUID();
    await registry.claimNativeRecord({ entityType: 'project', system: kantata, nativeId: '50000' }, owner);
    await registry.reserveCreate(other, 'project', kantata, 'opp-3-r1');

    await expect(registry.completeCreate(other, 'project', kantata, '50000')).rejects.toBeInstanceOf(CrossReferenceConflictError);
    await registry.completeCreate(other, 'project', kantata, '50001');
    await expect(registry.completeCreate(other, 'project', kantata, '50002')).rejects.toBeInstanceOf(CrossReferenceConflictError);
  });
});

describe('recordVersion', () => {
  it('applies newer versions and recognises older and replayed ones as stale', async () => {
    const globalId = randomUUID();

    expect(await registry.recordVersion(globalId, hubspot, '100')).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion(globalId, hubspot, '101')).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion(globalId, hubspot, '101')).toEqual({ outcome: 'stale', storedVersion: '101' });
    expect(await registry.recordVersion(globalId, hubspot, '99')).toEqual({ outcome: 'stale', storedVersion: '101' });
  });

  it('orders Salesforce commit numbers above 2^53 exactly, in DynamoDB itself', async () => {
    const globalId = randomUUID();
    const salesforce = { vendor: 'salesforce', instance: 'salesforce-main' } as const;

    await registry.recordVersion(globalId, salesforce, '9007199254740993');
    // As a float this equals the stored value; as a DynamoDB Number it is older.
    expect(await registry.recordVersion(globalId, salesforce, '9007199254740992')).toEqual({ outcome: 'stale', storedVersion: '9007199254740993' });
    expect(await registry.recordVersion(globalId, salesforce, '12345678901234567890123456789012345678')).toEqual({ outcome: 'applied' });
    const stored = await db.documents.send(new GetCommand({ TableName: 'cross-references', Key: crossReferenceKeys.version(globalId, 'salesforce', 'salesforce-main') }));
    expect(String((stored.Item?.version as { value: string }).value)).toBe('12345678901234567890123456789012345678');
  });

  it('keeps versions per source', async () => {
    const globalId = randomUUID();
    await registry.recordVersion(globalId, hubspot, '500');

    expect(await registry.recordVersion(globalId, netsuiteUs, '1')).toEqual({ outcome: 'applied' });
  });
});

describe('mergeGlobalIds', () => {
  it('keeps every system id of both records reachable from the survivor, and resolves the merged one to it', async () => {
    const survivor = randomUUID();
    const merged = randomUUID();
    await registry.claimNativeRecord(customerIn(hubspot, 'acct-1'), survivor);
    await registry.claimNativeRecord(customerIn(hubspot, 'acct-2'), merged);
    await registry.claimNativeRecord(customerIn(netsuiteUs, '4004'), merged);

    await registry.mergeGlobalIds(survivor, merged);

    expect(await registry.resolve(customerIn(hubspot, 'acct-2'))).toBe(survivor);
    expect(await registry.resolve(customerIn(netsuiteUs, '4004'))).toBe(survivor);
    expect((await registry.linksOf(survivor)).map((l) => l.nativeId).sort()).toEqual(['4004', 'acct-1', 'acct-2']);
    expect((await registry.linksOf(merged)).map((l) => l.nativeId).sort()).toEqual(['4004', 'acct-1', 'acct-2']);
  });

  it('completes a merge interrupted after its first write when run again', async () => {
    const survivor = randomUUID();
    const merged = randomUUID();
    await registry.claimNativeRecord(customerIn(netsuiteUs, '5005'), merged);
    // The first write of a merge, then the process dies.
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await db.documents.send(new PutCommand({ TableName: 'cross-references', Item: { ...crossReferenceKeys.mergeMarker(survivor, merged) } }));

    expect((await registry.linksOf(survivor)).map((l) => l.nativeId)).toEqual(['5005']);
    await registry.mergeGlobalIds(survivor, merged);
    expect(await registry.resolve(customerIn(netsuiteUs, '5005'))).toBe(survivor);
  });

  it('refuses a merge into itself, a cycle, and re-merging into another survivor', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const c = randomUUID();
    await registry.mergeGlobalIds(a, b);

    await expect(registry.mergeGlobalIds(a, a)).rejects.toThrow(/into itself/);
    await expect(registry.mergeGlobalIds(b, a)).rejects.toThrow(/cycle/);
    await expect(registry.mergeGlobalIds(c, b)).rejects.toThrow(/already merged into another record/);
  });
});
