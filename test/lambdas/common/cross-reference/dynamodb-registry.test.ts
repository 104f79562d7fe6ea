import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemRef } from '../../../../canonical/systems';
import { DynamoDbCrossReferenceRegistry } from '../../../../lambdas/common/cross-reference/dynamodb-registry';
import { CrossReferenceConflictError, MergeRefusedError, type NativeRecord } from '../../../../lambdas/common/cross-reference/registry';
import { CROSS_REFERENCE_TABLE, crossReferenceKeys } from '../../../../lambdas/common/cross-reference/table-schema';
import { type DynaliteTable, startDynalite } from '../../../support/dynalite';

const TABLE = 'cross-references';
let db: DynaliteTable;
let registry: DynamoDbCrossReferenceRegistry;

beforeAll(async () => {
  db = await startDynalite(TABLE, CROSS_REFERENCE_TABLE);
  registry = new DynamoDbCrossReferenceRegistry(db.documents, TABLE);
});
afterAll(async () => db.close());

const netsuiteUs: SystemRef = { vendor: 'netsuite', instance: 'netsuite-us' };
const netsuiteEu: SystemRef = { vendor: 'netsuite', instance: 'netsuite-eu' };
const hubspot: SystemRef = { vendor: 'hubspot', instance: 'hubspot-main' };
const salesforce: SystemRef = { vendor: 'salesforce', instance: 'salesforce-main' };
const kantata: SystemRef = { vendor: 'kantata', instance: 'kantata-global' };
const customerIn = (system: SystemRef, nativeId: string): NativeRecord => ({ entityType: 'customer', system, nativeId });
const projectIn = (system: SystemRef, nativeId: string): NativeRecord => ({ entityType: 'project', system, nativeId });

type Command = Parameters<DynamoDBDocumentClient['send']>[0];
const isWrite = (command: Command) => command instanceof PutCommand || command instanceof UpdateCommand || command instanceof DeleteCommand;

/** A registry whose process dies (the call throws) instead of making its write number `writes + 1`. */
function registryKilledAfter(writes: number): DynamoDbCrossReferenceRegistry {
  let done = 0;
  const client = {
    send: async (command: Command) => {
      if (isWrite(command) && done++ >= writes) throw new Error('process killed');
      return db.documents.send(command as never);
    },
  };
  return new DynamoDbCrossReferenceRegistry(client as unknown as DynamoDBDocumentClient, TABLE);
}

/** A registry that lets `interleave` run just before the first write matching `when`: another process's turn. */
function registryInterleaving(when: (command: Command) => boolean, interleave: () => Promise<void>): DynamoDbCrossReferenceRegistry {
  let pending = true;
  const client = {
    send: async (command: Command) => {
      if (pending && when(command)) {
        pending = false;
        await interleave();
      }
      return db.documents.send(command as never);
    },
  };
  return new DynamoDbCrossReferenceRegistry(client as unknown as DynamoDBDocumentClient, TABLE);
}

const nativeIdsOf = async (globalId: string) => (await registry.linksOf(globalId)).map((l) => l.nativeId).sort();

describe('claiming a native record', () => {
  it('claims a NetSuite customer id for a global id, which then resolves to it and is among its links', async () => {
    const globalId = randomUUID();

    const result = await registry.claimNativeRecord({ ...customerIn(netsuiteUs, '1001'), globalId });

    expect(result).toEqual({ outcome: 'claimed', globalId });
    expect(await registry.resolve(customerIn(netsuiteUs, '1001'))).toBe(globalId);
    expect(await registry.linksOf(globalId)).toEqual([{ globalId, entityType: 'customer', system: netsuiteUs, state: 'completed', nativeId: '1001' }]);
  });

  it('lets exactly one of twenty concurrent creators claim a NetSuite customer id, and tells the other nineteen who won', async () => {
    const contenders = Array.from({ length: 20 }, () => randomUUID());

    const results = await Promise.all(contenders.map((globalId) => registry.claimNativeRecord({ ...customerIn(netsuiteUs, '2002'), globalId })));

    const winners = results.filter((r) => r.outcome === 'claimed');
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.globalId;
    expect(results.filter((r) => r.outcome === 'already-claimed')).toHaveLength(19);
    expect(results.every((r) => r.globalId === winner)).toBe(true);
    expect(await registry.resolve(customerIn(netsuiteUs, '2002'))).toBe(winner);
  });

  it('treats the winner claiming again (a retry) as claimed', async () => {
    const globalId = randomUUID();
    await registry.claimNativeRecord({ ...customerIn(hubspot, '77'), globalId });

    expect(await registry.claimNativeRecord({ ...customerIn(hubspot, '77'), globalId })).toEqual({ outcome: 'claimed', globalId });
  });

  it('keeps the same native id in two NetSuite instances apart', async () => {
    const us = randomUUID();
    const eu = randomUUID();

    await registry.claimNativeRecord({ ...customerIn(netsuiteUs, '3003'), globalId: us });
    const second = await registry.claimNativeRecord({ ...customerIn(netsuiteEu, '3003'), globalId: eu });

    expect(second.outcome).toBe('claimed');
    expect(await registry.resolve(customerIn(netsuiteUs, '3003'))).toBe(us);
    expect(await registry.resolve(customerIn(netsuiteEu, '3003'))).toBe(eu);
  });

  it('refuses to link a second NetSuite customer id to a global id that has one in that instance', async () => {
    const globalId = randomUUID();
    await registry.claimNativeRecord({ ...customerIn(netsuiteUs, '6006'), globalId });

    await expect(registry.claimNativeRecord({ ...customerIn(netsuiteUs, '6007'), globalId })).rejects.toBeInstanceOf(CrossReferenceConflictError);

    expect(await registry.linksOf(globalId)).toEqual([{ globalId, entityType: 'customer', system: netsuiteUs, state: 'completed', nativeId: '6006' }]);
  });

  it('resolves a native id nobody claimed to nothing', async () => {
    expect(await registry.resolve(customerIn(netsuiteUs, 'never-seen'))).toBeUndefined();
  });

  it('finishes the link when the claim is retried after the process died between claim and link', async () => {
    const globalId = randomUUID();
    await expect(registryKilledAfter(1).claimNativeRecord({ ...customerIn(hubspot, '88'), globalId })).rejects.toThrow('process killed');
    expect(await registry.linksOf(globalId)).toEqual([]);

    await registry.claimNativeRecord({ ...customerIn(hubspot, '88'), globalId });

    expect(await nativeIdsOf(globalId)).toEqual(['88']);
  });
});

describe('reserving a create before the vendor call', () => {
  it('reserves a Kantata project create; a retry after a crash finds the pending reservation instead of creating again', async () => {
    const project = randomUUID();

    const first = await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-1-r1' });
    // The process dies here, before or after the POST; the retry asks again.
    const retry = await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-1-r2' });

    expect(first).toEqual({ outcome: 'reserved' });
    expect(retry).toEqual({
      outcome: 'existing',
      link: { globalId: project, entityType: 'project', system: kantata, state: 'pending', executionId: 'opp-1-r1', reservedAt: expect.any(String) },
    });
  });

  it('lets exactly one of ten concurrent executions reserve the same create', async () => {
    const project = randomUUID();

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: `run-${i}` })),
    );

    expect(results.filter((r) => r.outcome === 'reserved')).toHaveLength(1);
    const holders = new Set(results.flatMap((r) => (r.outcome === 'existing' ? [r.link.executionId] : [])));
    expect(holders.size).toBe(1);
  });

  it('hands a pending reservation over to exactly one of ten executions taking it at once, and never a completed one', async () => {
    const project = randomUUID();
    await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-3-r1' });
    const held = await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-3-r2' });
    if (held.outcome !== 'existing') throw new Error('expected the reservation');
    const from = { executionId: held.link.executionId!, reservedAt: held.link.reservedAt! };

    const taken = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        registry.takeOverReservation({ entityType: 'project', globalId: project, target: kantata, executionId: `taker-${i}`, from }),
      ),
    );

    expect(taken.filter(Boolean)).toHaveLength(1);
    const after = await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-3-r3' });
    expect(after).toMatchObject({ outcome: 'existing', link: { state: 'pending', executionId: `taker-${taken.indexOf(true)}` } });
    // Completed, it is no one's to take over.
    await registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '39019' });
    if (after.outcome !== 'existing') throw new Error('expected the reservation');
    expect(
      await registry.takeOverReservation({
        entityType: 'project',
        globalId: project,
        target: kantata,
        executionId: 'late',
        from: { executionId: after.link.executionId!, reservedAt: after.link.reservedAt! },
      }),
    ).toBe(false);
  });

  it('completes a reservation with the Kantata id, after which a retry finds it completed and the id resolves', async () => {
    const project = randomUUID();
    await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-2-r1' });

    await registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '39018' });

    expect(await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-2-r2' })).toEqual({
      outcome: 'existing',
      link: {
        globalId: project,
        entityType: 'project',
        system: kantata,
        state: 'completed',
        nativeId: '39018',
        executionId: 'opp-2-r1',
        reservedAt: expect.any(String),
      },
    });
    expect(await registry.resolve(projectIn(kantata, '39018'))).toBe(project);
    await expect(registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '39018' })).resolves.toBeUndefined();
  });

  it('completes a create on retry when the process died between claiming the Kantata id and completing the link', async () => {
    const project = randomUUID();
    await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-3-r1' });
    await expect(registryKilledAfter(1).completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '39100' })).rejects.toThrow(
      'process killed',
    );
    const afterCrash = await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-3-r2' });
    expect(afterCrash.outcome === 'existing' && afterCrash.link.state).toBe('pending');

    // The retry finds the project by its external reference and completes again.
    await registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '39100' });

    expect(await registry.linksOf(project)).toEqual([
      {
        globalId: project,
        entityType: 'project',
        system: kantata,
        state: 'completed',
        nativeId: '39100',
        executionId: 'opp-3-r1',
        reservedAt: expect.any(String),
      },
    ]);
  });

  it('refuses to complete with a Kantata id that another global id owns', async () => {
    const owner = randomUUID();
    const other = randomUUID();
    await registry.claimNativeRecord({ ...projectIn(kantata, '50000'), globalId: owner });
    await registry.reserveCreate({ entityType: 'project', globalId: other, target: kantata, executionId: 'opp-4-r1' });

    await expect(registry.completeCreate({ entityType: 'project', globalId: other, target: kantata, nativeId: '50000' })).rejects.toBeInstanceOf(
      CrossReferenceConflictError,
    );
    expect(await registry.resolve(projectIn(kantata, '50000'))).toBe(owner);
  });

  it('refuses a second Kantata id for a project that already has one, without claiming it', async () => {
    const project = randomUUID();
    await registry.reserveCreate({ entityType: 'project', globalId: project, target: kantata, executionId: 'opp-5-r1' });
    await registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '50001' });

    await expect(registry.completeCreate({ entityType: 'project', globalId: project, target: kantata, nativeId: '50002' })).rejects.toBeInstanceOf(
      CrossReferenceConflictError,
    );

    expect(await registry.resolve(projectIn(kantata, '50002'))).toBeUndefined();
    expect(await nativeIdsOf(project)).toEqual(['50001']);
  });
});

describe('recording source versions', () => {
  it('applies a newer version and recognises an older one or a replay of the same as stale', async () => {
    const globalId = randomUUID();

    expect(await registry.recordVersion({ globalId, source: hubspot, version: '100' })).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '101' })).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '101' })).toEqual({ outcome: 'stale', storedVersion: '101' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '99' })).toEqual({ outcome: 'stale', storedVersion: '101' });
  });

  it('orders Salesforce commit numbers above 2^53 exactly, in the DynamoDB condition itself', async () => {
    const globalId = randomUUID();
    await registry.recordVersion({ globalId, source: salesforce, version: '9007199254740993' });

    // As floats the two are equal; as DynamoDB Numbers the candidate is older.
    expect(await registry.recordVersion({ globalId, source: salesforce, version: '9007199254740992' })).toEqual({
      outcome: 'stale',
      storedVersion: '9007199254740993',
    });
    expect(await registry.recordVersion({ globalId, source: salesforce, version: '9007199254740994' })).toEqual({ outcome: 'applied' });
  });

  it('orders 20-digit commit numbers that differ only in the last digit', async () => {
    const globalId = randomUUID();
    await registry.recordVersion({ globalId, source: salesforce, version: '18446744073709551617' });

    expect(await registry.recordVersion({ globalId, source: salesforce, version: '18446744073709551616' })).toEqual({
      outcome: 'stale',
      storedVersion: '18446744073709551617',
    });
    expect(await registry.recordVersion({ globalId, source: salesforce, version: '18446744073709551617' })).toEqual({
      outcome: 'stale',
      storedVersion: '18446744073709551617',
    });
    expect(await registry.recordVersion({ globalId, source: salesforce, version: '18446744073709551618' })).toEqual({ outcome: 'applied' });
  });

  it('compares versions as numbers, not as text', async () => {
    const globalId = randomUUID();
    await registry.recordVersion({ globalId, source: hubspot, version: '9' });

    expect(await registry.recordVersion({ globalId, source: hubspot, version: '10' })).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '9' })).toEqual({ outcome: 'stale', storedVersion: '10' });
  });

  it('stores a 38-digit version as a DynamoDB Number with every digit', async () => {
    const globalId = randomUUID();

    await registry.recordVersion({ globalId, source: salesforce, version: '12345678901234567890123456789012345678' });

    const stored = await db.documents.send(
      new GetCommand({ TableName: TABLE, Key: crossReferenceKeys.version(globalId, salesforce.vendor, salesforce.instance) }),
    );
    expect(stored.Item?.version).toEqual(NumberValue.from('12345678901234567890123456789012345678'));
  });

  it('reports the stored version exactly through a document client that does not wrap numbers', async () => {
    const globalId = randomUUID();
    const plain = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    const unwrapped = new DynamoDbCrossReferenceRegistry(plain, TABLE);
    await unwrapped.recordVersion({ globalId, source: salesforce, version: '18446744073709551617' });

    expect(await unwrapped.recordVersion({ globalId, source: salesforce, version: '18446744073709551616' })).toEqual({
      outcome: 'stale',
      storedVersion: '18446744073709551617',
    });
    plain.destroy();
  });

  it('keeps versions per source', async () => {
    const globalId = randomUUID();
    await registry.recordVersion({ globalId, source: hubspot, version: '500' });

    expect(await registry.recordVersion({ globalId, source: netsuiteUs, version: '1' })).toEqual({ outcome: 'applied' });
  });

  it('keeps a deal revision apart from its source commit numbers, so neither makes the other look stale', async () => {
    const globalId = randomUUID();
    await registry.recordVersion({ globalId, source: hubspot, version: '12345678901' });

    expect(await registry.recordVersion({ globalId, source: hubspot, version: '2', counter: 'revision' })).toEqual({ outcome: 'applied' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '1', counter: 'revision' })).toEqual({ outcome: 'stale', storedVersion: '2' });
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '12345678902' })).toEqual({ outcome: 'applied' });
  });

  it('refuses a version that is not a non-negative integer before writing anything', async () => {
    const globalId = randomUUID();

    await expect(registry.recordVersion({ globalId, source: hubspot, version: '1.5e3' })).rejects.toThrow(RangeError);
    expect(await registry.recordVersion({ globalId, source: hubspot, version: '0' })).toEqual({ outcome: 'applied' });
  });
});

describe('merging global ids (a CRM account merge)', () => {
  /** Two customers, each with a HubSpot id, the merged one also with a NetSuite id. */
  async function twoCustomers() {
    const survivor = randomUUID();
    const merged = randomUUID();
    const tag = survivor.slice(0, 8);
    await registry.claimNativeRecord({ ...customerIn(hubspot, `acct-1-${tag}`), globalId: survivor });
    await registry.claimNativeRecord({ ...customerIn(hubspot, `acct-2-${tag}`), globalId: merged });
    await registry.claimNativeRecord({ ...customerIn(netsuiteUs, `cust-${tag}`), globalId: merged });
    return { survivor, merged, ids: [`acct-1-${tag}`, `acct-2-${tag}`, `cust-${tag}`] };
  }

  it('keeps every system id of both records reachable from the survivor, and resolves the merged one to it', async () => {
    const { survivor, merged, ids } = await twoCustomers();

    await registry.mergeGlobalIds({ survivor, merged });

    expect(await registry.resolve(customerIn(hubspot, ids[1]!))).toBe(survivor);
    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(survivor);
    expect(await nativeIdsOf(survivor)).toEqual(ids);
    expect(await nativeIdsOf(merged)).toEqual(ids);
    expect((await registry.linksOf(survivor)).find((l) => l.nativeId === ids[2])?.globalId).toBe(merged);
  });

  it('follows a merge of a merge to the last survivor', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    const outer = randomUUID();
    await registry.claimNativeRecord({ ...customerIn(salesforce, `001-${outer.slice(0, 8)}`), globalId: outer });

    await registry.mergeGlobalIds({ survivor, merged });
    await registry.mergeGlobalIds({ survivor: outer, merged: survivor });

    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(outer);
    expect(await nativeIdsOf(outer)).toEqual([...ids, `001-${outer.slice(0, 8)}`].sort());
  });

  it('tells a later claimer of a merged record the survivor, not the merged-away id', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    await registry.mergeGlobalIds({ survivor, merged });

    expect(await registry.claimNativeRecord({ ...customerIn(netsuiteUs, ids[2]!), globalId: randomUUID() })).toEqual({
      outcome: 'already-claimed',
      globalId: survivor,
    });
  });

  it('leaves both records whole when interrupted after its first write, and completes when run again', async () => {
    const { survivor, merged, ids } = await twoCustomers();

    await expect(registryKilledAfter(1).mergeGlobalIds({ survivor, merged })).rejects.toThrow('process killed');
    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(merged);
    expect(await nativeIdsOf(merged)).toEqual([ids[1], ids[2]]);
    expect(await nativeIdsOf(survivor)).toEqual([ids[0]]);
    await registry.mergeGlobalIds({ survivor, merged });

    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(survivor);
    expect(await nativeIdsOf(survivor)).toEqual(ids);
  });

  it('changes nothing when run again after it completed', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    await registry.mergeGlobalIds({ survivor, merged });

    await registry.mergeGlobalIds({ survivor, merged });

    expect(await nativeIdsOf(survivor)).toEqual(ids);
    expect(await registry.resolve(customerIn(hubspot, ids[1]!))).toBe(survivor);
  });

  it('refuses to merge a record into itself', async () => {
    const { survivor, ids } = await twoCustomers();

    await expect(registry.mergeGlobalIds({ survivor, merged: survivor })).rejects.toThrow(/into itself/);
    expect(await registry.resolve(customerIn(hubspot, ids[0]!))).toBe(survivor);
  });

  it('refuses a merge that would close a cycle', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    await registry.mergeGlobalIds({ survivor, merged });

    await expect(registry.mergeGlobalIds({ survivor: merged, merged: survivor })).rejects.toThrow(/cycle/);
    expect(await registry.resolve(customerIn(hubspot, ids[0]!))).toBe(survivor);
  });

  it('refuses to merge a record already merged into another, and leaves no trace of the attempt', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    const third = randomUUID();
    await registry.claimNativeRecord({ ...customerIn(hubspot, `acct-3-${third.slice(0, 8)}`), globalId: third });
    await registry.mergeGlobalIds({ survivor, merged });

    await expect(registry.mergeGlobalIds({ survivor: third, merged })).rejects.toThrow(/already merged into/);

    expect(await nativeIdsOf(third)).toEqual([`acct-3-${third.slice(0, 8)}`]);
    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(survivor);
  });

  it('refuses a merge that lost the race to another survivor, and leaves no trace of it', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    const rival = randomUUID();
    const isCommit = (c: Command) => c instanceof UpdateCommand && c.input.Key?.sk === 'META';
    const racing = registryInterleaving(isCommit, () => registry.mergeGlobalIds({ survivor: rival, merged }));

    await expect(racing.mergeGlobalIds({ survivor, merged })).rejects.toThrow(MergeRefusedError);

    expect(await registry.resolve(customerIn(netsuiteUs, ids[2]!))).toBe(rival);
    expect(await nativeIdsOf(survivor)).toEqual([ids[0]]);
  });

  it('leaves no cycle when two merges in opposite directions race', async () => {
    const { survivor, merged, ids } = await twoCustomers();
    const isCommit = (c: Command) => c instanceof UpdateCommand && c.input.Key?.sk === 'META';
    // The opposite merge commits between our checks and our commit.
    const racing = registryInterleaving(isCommit, () => registry.mergeGlobalIds({ survivor: merged, merged: survivor }));

    await expect(racing.mergeGlobalIds({ survivor, merged })).rejects.toThrow(/raced/);

    // The opposite merge stands; every id is reachable and resolves without looping.
    expect(await registry.resolve(customerIn(hubspot, ids[0]!))).toBe(merged);
    expect(await nativeIdsOf(survivor)).toEqual(ids);
  });
});
