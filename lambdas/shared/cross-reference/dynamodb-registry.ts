import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EntityType } from '../../../canonical/entity-types';
import { sourceVersion } from '../../../canonical/source-version';
import type { SystemRef } from '../../../canonical/systems';
import {
  type ClaimResult,
  CrossReferenceConflictError,
  type CrossReferenceRegistry,
  type NativeRecord,
  type ReserveResult,
  type SystemLink,
  type VersionResult,
} from './registry';
import { crossReferenceKeys as keys } from './table-schema';

/** Merges deeper than this are refused as a probable cycle. */
const MAX_MERGE_DEPTH = 16;

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** A DynamoDB Number as the exact decimal string, whether wrapped (NumberValue) or not. */
function numberText(value: unknown): string {
  return value instanceof NumberValue ? value.value : String(value);
}

/**
 * The cross-reference registry on DynamoDB; the key layout is in `table-schema.ts`. Pass a document
 * client created with `unmarshallOptions: { wrapNumbers: true }` or not: versions are written as
 * NumberValue and read back as text either way, so no version passes through a float.
 */
export class DynamoDbCrossReferenceRegistry implements CrossReferenceRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claimNativeRecord(record: NativeRecord, globalId: string): Promise<ClaimResult> {
    const claimKey = keys.nativeClaim(record.system.vendor, record.system.instance, record.entityType, record.nativeId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...claimKey, globalId, entityType: record.entityType, claimedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: claimKey, ConsistentRead: true }));
      const winner = String(existing.Item?.globalId);
      // The winner repeating its claim (a retry after a crash) still completes its link below.
      if (winner !== globalId) return { outcome: 'already-claimed', globalId: winner };
    }
    await this.putCompletedLink(globalId, record.entityType, record.system, record.nativeId);
    return { outcome: 'claimed', globalId };
  }

  async reserveCreate(globalId: string, entityType: EntityType, target: SystemRef, execution: string): Promise<ReserveResult> {
    const linkKey = keys.link(globalId, target.vendor, target.instance);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...linkKey, entityType, vendor: target.vendor, instance: target.instance, state: 'pending', execution, reservedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { outcome: 'reserved' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: linkKey, ConsistentRead: true }));
      return { outcome: 'existing', link: this.toLink(existing.Item ?? {}) };
    }
  }

  async completeCreate(globalId: string, entityType: EntityType, target: SystemRef, nativeId: string): Promise<void> {
    // Claim first: if the vendor record already belongs to another global id, the link must not say otherwise.
    const claim = await this.claimNativeRecord({ entityType, system: target, nativeId }, globalId);
    if (claim.outcome === 'already-claimed') {
      throw new CrossReferenceConflictError(`${target.vendor}/${target.instance} ${entityType} ${nativeId} belongs to ${claim.globalId}, not ${globalId}`);
    }
  }

  async resolve(record: NativeRecord): Promise<string | undefined> {
    const claim = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.nativeClaim(record.system.vendor, record.system.instance, record.entityType, record.nativeId), ConsistentRead: true }),
    );
    return claim.Item === undefined ? undefined : this.survivorOf(String(claim.Item.globalId));
  }

  async linksOf(globalId: string): Promise<SystemLink[]> {
    const survivor = await this.survivorOf(globalId);
    const links: SystemLink[] = [];
    const visit = async (id: string, depth: number): Promise<void> => {
      if (depth > MAX_MERGE_DEPTH) throw new Error(`Merges below ${globalId} are deeper than ${MAX_MERGE_DEPTH}`);
      const items = await this.queryAll(`GLOBAL#${id}`);
      for (const item of items) {
        const sk = String(item.sk);
        if (sk.startsWith('LINK#')) links.push(this.toLink(item));
        else if (sk.startsWith('MERGED#')) await visit(sk.slice('MERGED#'.length), depth + 1);
      }
    };
    await visit(survivor, 0);
    return links;
  }

  async recordVersion(globalId: string, source: SystemRef, version: string): Promise<VersionResult> {
    const candidate = sourceVersion(version);
    const key = keys.version(globalId, source.vendor, source.instance);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET version = :candidate, recordedAt = :now',
          // A DynamoDB Number compares exactly up to 38 digits, so commit numbers above 2^53 order correctly.
          ConditionExpression: 'attribute_not_exists(version) OR version < :candidate',
          ExpressionAttributeValues: { ':candidate': NumberValue.from(candidate), ':now': this.now().toISOString() },
        }),
      );
      return { outcome: 'applied' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      return { outcome: 'stale', storedVersion: numberText(stored.Item?.version) };
    }
  }

  async mergeGlobalIds(survivor: string, merged: string): Promise<void> {
    if (survivor === merged) throw new Error(`Cannot merge ${merged} into itself`);
    const chain = await this.chainOf(survivor);
    if (chain.includes(merged)) throw new Error(`Merging ${merged} into ${survivor} would create a cycle: ${survivor} already resolves through ${merged}`);
    // 1. The marker first: from now on linksOf(survivor) reaches every link of the merged id.
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.mergeMarker(survivor, merged), mergedAt: this.now().toISOString() } }));
    // 2. Then the pointer, so resolve() of the merged id's native records lands on the survivor. Had
    //    the pointer gone first, an interruption would leave the merged links unreachable.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.meta(merged),
          UpdateExpression: 'SET mergedInto = :survivor, mergedAt = if_not_exists(mergedAt, :now)',
          ConditionExpression: 'attribute_not_exists(mergedInto) OR mergedInto = :survivor',
          ExpressionAttributeValues: { ':survivor': survivor, ':now': this.now().toISOString() },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new Error(`${merged} is already merged into another record; merge into that survivor instead`);
    }
  }

  private async putCompletedLink(globalId: string, entityType: EntityType, system: SystemRef, nativeId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(globalId, system.vendor, system.instance),
          UpdateExpression: 'SET entityType = :entityType, vendor = :vendor, instance = :instance, #state = :completed, nativeId = :nativeId, linkedAt = :now',
          // One native id per global id and system: a pending reservation or the same id may complete.
          ConditionExpression: 'attribute_not_exists(nativeId) OR nativeId = :nativeId',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':entityType': entityType, ':vendor': system.vendor, ':instance': system.instance, ':completed': 'completed', ':nativeId': nativeId, ':now': this.now().toISOString() },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new CrossReferenceConflictError(`${globalId} is already linked to another ${system.vendor}/${system.instance} record than ${nativeId}`);
    }
  }

  private async chainOf(globalId: string): Promise<string[]> {
    const chain = [globalId];
    for (let depth = 0; depth < MAX_MERGE_DEPTH; depth++) {
      const meta = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.meta(chain[chain.length - 1]!), ConsistentRead: true }));
      const next = meta.Item?.mergedInto as string | undefined;
      if (next === undefined) return chain;
      if (chain.includes(next)) throw new Error(`Merge cycle through ${next}`);
      chain.push(next);
    }
    throw new Error(`Merge chain of ${globalId} is deeper than ${MAX_MERGE_DEPTH}`);
  }

  private async survivorOf(globalId: string): Promise<string> {
    const chain = await this.chainOf(globalId);
    return chain[chain.length - 1]!;
  }

  private async queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  private toLink(item: Record<string, unknown>): SystemLink {
    return {
      entityType: item.entityType as EntityType,
      system: { vendor: item.vendor as SystemLink['system']['vendor'], instance: String(item.instance) },
      state: item.state === 'completed' ? 'completed' : 'pending',
      ...(item.nativeId === undefined ? {} : { nativeId: String(item.nativeId) }),
      ...(item.execution === undefined ? {} : { execution: String(item.execution) }),
    };
  }
}
