import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sourceVersion } from '../../../canonical/source-version';
import type { SystemRef } from '../../../canonical/systems';
import { queryPartition } from '../dynamodb-partition';
import {
  type ClaimRequest,
  type ClaimResult,
  type CompleteCreateRequest,
  CrossReferenceConflictError,
  type CrossReferenceRegistry,
  MergeRefusedError,
  type MergeRequest,
  type NativeRecord,
  type RecordVersionRequest,
  type ReserveCreateRequest,
  type ReserveResult,
  type SystemLink,
  type TakeOverRequest,
  type VersionResult,
} from './registry';
import { crossReferenceKeys as keys, SORT_KEY } from './table-schema';

/** Merge chains longer than this are refused (and reported when read) as a probable cycle. */
const MAX_MERGE_DEPTH = 16;

type Item = Record<string, unknown>;

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * A DynamoDB Number as its exact decimal text. lib-dynamodb reads it as a NumberValue with
 * `wrapNumbers: true`, otherwise as a BigInt above 2^53 and a number below: all convert exactly.
 */
function numberText(value: unknown): string {
  return value instanceof NumberValue ? value.value : String(value);
}

/**
 * The cross-reference registry on DynamoDB. The key design, with the condition guarding each item,
 * is in `table-schema.ts`. Single-item conditional writes only (dynalite, our local DynamoDB, has no
 * transactions); each multi-write operation says why its order survives an interruption.
 */
export class DynamoDbCrossReferenceRegistry implements CrossReferenceRegistry {
  /**
   * @param client a document client; versions are written as NumberValue and read back as text, so
   *   none passes through a float whatever its `unmarshallOptions`.
   * @param tableName the cross-reference table.
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claimNativeRecord(request: ClaimRequest): Promise<ClaimResult> {
    const { entityType, system, nativeId, globalId } = request;
    const claimKey = keys.nativeClaim(system.vendor, system.instance, entityType, nativeId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...claimKey, globalId, entityType, claimedAt: this.now().toISOString() },
          // One owner per native record: of concurrent creators, exactly one put succeeds.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const winner = await this.claimOwner(claimKey);
      if (winner !== globalId) return { outcome: 'already-claimed', globalId: await this.survivorOf(winner) };
      // The winner claiming again (a retry after a crash): fall through and finish its link.
    }
    // Claim before link: a crash in between leaves a claim whose repeat completes the link.
    await this.completeLink(globalId, entityType, system, nativeId);
    return { outcome: 'claimed', globalId: await this.survivorOf(globalId) };
  }

  async reserveCreate(request: ReserveCreateRequest): Promise<ReserveResult> {
    const { entityType, globalId, target, executionId } = request;
    const linkKey = keys.link(globalId, target.vendor, target.instance);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...linkKey,
            entityType,
            vendor: target.vendor,
            instance: target.instance,
            state: 'pending',
            executionId,
            reservedAt: this.now().toISOString(),
          },
          // One reservation per global id and system: a retry finds it instead of creating twice.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { outcome: 'reserved' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(linkKey);
      if (existing === undefined) throw new Error(`The ${target.vendor}/${target.instance} link of ${globalId} failed its condition but cannot be read`);
      return { outcome: 'existing', link: toLink(existing) };
    }
  }

  async takeOverReservation(request: TakeOverRequest): Promise<boolean> {
    const { globalId, target, executionId, from } = request;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(globalId, target.vendor, target.instance),
          UpdateExpression: 'SET executionId = :taker, reservedAt = :now',
          // Still pending and held as the taker read it: a second taker finds it changed and waits.
          ConditionExpression: [
            '#state = :pending',
            from.executionId === undefined ? 'attribute_not_exists(executionId)' : 'executionId = :holder',
            from.reservedAt === undefined ? 'attribute_not_exists(reservedAt)' : 'reservedAt = :heldSince',
          ].join(' AND '),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':taker': executionId,
            ':now': this.now().toISOString(),
            ':pending': 'pending',
            ...(from.executionId === undefined ? {} : { ':holder': from.executionId }),
            ...(from.reservedAt === undefined ? {} : { ':heldSince': from.reservedAt }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async completeCreate(request: CompleteCreateRequest): Promise<void> {
    const { entityType, globalId, target, nativeId } = request;
    // Refuse a second native id before claiming it, so the usual conflict leaves no stray claim.
    const link = await this.get(keys.link(globalId, target.vendor, target.instance));
    if (link?.nativeId !== undefined && link.nativeId !== nativeId) {
      throw new CrossReferenceConflictError(
        `${globalId} is already linked to ${target.vendor}/${target.instance} ${entityType} ${String(link.nativeId)}, not ${nativeId}`,
      );
    }
    const claim = await this.claimNativeRecord({ entityType, system: target, nativeId, globalId });
    if (claim.outcome === 'already-claimed') {
      throw new CrossReferenceConflictError(`${target.vendor}/${target.instance} ${entityType} ${nativeId} belongs to ${claim.globalId}, not ${globalId}`);
    }
  }

  async resolve(record: NativeRecord): Promise<string | undefined> {
    const claim = await this.get(keys.nativeClaim(record.system.vendor, record.system.instance, record.entityType, record.nativeId));
    return claim === undefined ? undefined : this.survivorOf(String(claim.globalId));
  }

  async linksOf(globalId: string): Promise<SystemLink[]> {
    const links: SystemLink[] = [];
    const visit = async (id: string, parent: string | undefined, depth: number): Promise<void> => {
      if (depth > MAX_MERGE_DEPTH) throw new Error(`Merges into ${globalId} are nested deeper than ${MAX_MERGE_DEPTH}`);
      const items = await this.partition(id);
      // A marker counts only once the merged id's META points back: a marker alone is an unfinished
      // or refused merge, and the merged id is still a record of its own.
      if (parent !== undefined && items.find((i) => i.sk === SORT_KEY.meta)?.mergedInto !== parent) return;
      for (const item of items) {
        const sk = String(item.sk);
        if (sk.startsWith(SORT_KEY.link)) links.push(toLink(item));
        else if (sk.startsWith(SORT_KEY.mergeMarker)) await visit(sk.slice(SORT_KEY.mergeMarker.length), id, depth + 1);
      }
    };
    await visit(await this.survivorOf(globalId), undefined, 0);
    return links;
  }

  async recordVersion(request: RecordVersionRequest): Promise<VersionResult> {
    const { globalId, source } = request;
    const candidate = sourceVersion(request.version);
    const key = keys.version(globalId, source.vendor, source.instance, request.counter);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #version = :candidate, recordedAt = :now',
          // A DynamoDB Number holds 38 digits and compares exactly, so Salesforce commit numbers above
          // 2^53 order correctly in the condition itself (checked against dynalite in the tests).
          ConditionExpression: 'attribute_not_exists(#version) OR #version < :candidate',
          ExpressionAttributeNames: { '#version': 'version' },
          // NumberValue carries the digits as text: no float conversion on the way in.
          ExpressionAttributeValues: { ':candidate': NumberValue.from(candidate), ':now': this.now().toISOString() },
        }),
      );
      return { outcome: 'applied' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // dynalite returns no item with ReturnValuesOnConditionCheckFailure, so read it.
      const stored = await this.get(key);
      return { outcome: 'stale', storedVersion: numberText(stored?.version) };
    }
  }

  /**
   * Two writes, in this order:
   * 1. the marker `GLOBAL#<survivor>` / `MERGED#<merged>`, unconditional and idempotent;
   * 2. the commit point: `GLOBAL#<merged>` / `META` `mergedInto = survivor`, conditional.
   * Readers honour a marker only when the META points back, so after (1) alone the merge has not
   * happened; after (2) `resolve` and `linksOf` both see it. Interrupted after (1), a re-run redoes
   * (1) and does (2). The other order would, interrupted, resolve the merged id's native records to
   * a survivor whose links do not yet reach them.
   */
  async mergeGlobalIds(request: MergeRequest): Promise<void> {
    const { survivor, merged } = request;
    if (survivor === merged) throw new MergeRefusedError(`Cannot merge ${merged} into itself`);
    const mergedInto = (await this.get(keys.meta(merged)))?.mergedInto;
    if (mergedInto !== undefined && mergedInto !== survivor) {
      throw new MergeRefusedError(`${merged} is already merged into ${String(mergedInto)}; merge into that record instead`);
    }
    if ((await this.chainOf(survivor)).includes(merged)) {
      throw new MergeRefusedError(`Merging ${merged} into ${survivor} would create a cycle: ${survivor} is already merged into ${merged}`);
    }
    const mergedAt = this.now().toISOString();
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.mergeMarker(survivor, merged),
        UpdateExpression: 'SET mergedAt = if_not_exists(mergedAt, :now)',
        ExpressionAttributeValues: { ':now': mergedAt },
      }),
    );
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.meta(merged),
          UpdateExpression: 'SET mergedInto = :survivor, mergedAt = if_not_exists(mergedAt, :now)',
          ConditionExpression: 'attribute_not_exists(mergedInto) OR mergedInto = :survivor',
          ExpressionAttributeValues: { ':survivor': survivor, ':now': mergedAt },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.removeMarker(survivor, merged);
      throw new MergeRefusedError(`${merged} was merged into another record meanwhile; merge into that record instead`);
    }
    // A concurrent merge the other way round passes the cycle check too; both commit points are
    // different items, so look again and undo ours if a cycle closed. Both sides may undo: each
    // caller sees a refusal and may retry, and no cycle is left behind.
    if ((await this.chainOf(survivor)).includes(merged)) {
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.meta(merged),
            UpdateExpression: 'REMOVE mergedInto, mergedAt',
            ConditionExpression: 'mergedInto = :survivor',
            ExpressionAttributeValues: { ':survivor': survivor },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
      await this.removeMarker(survivor, merged);
      throw new MergeRefusedError(`Merging ${merged} into ${survivor} raced with a merge the other way round; neither is applied, retry one`);
    }
  }

  private async removeMarker(survivor: string, merged: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.mergeMarker(survivor, merged) }));
  }

  private async claimOwner(claimKey: { pk: string; sk: string }): Promise<string> {
    const claim = await this.get(claimKey);
    if (typeof claim?.globalId !== 'string') throw new Error(`Claim ${claimKey.pk} failed its condition but cannot be read`);
    return claim.globalId;
  }

  private async completeLink(globalId: string, entityType: string, system: SystemRef, nativeId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(globalId, system.vendor, system.instance),
          UpdateExpression: 'SET entityType = :entityType, vendor = :vendor, #instance = :instance, #state = :completed, nativeId = :nativeId, linkedAt = :now',
          // One native id per global id and system: a pending reservation, no link, or the same id.
          ConditionExpression: 'attribute_not_exists(nativeId) OR nativeId = :nativeId',
          ExpressionAttributeNames: { '#state': 'state', '#instance': 'instance' },
          ExpressionAttributeValues: {
            ':entityType': entityType,
            ':vendor': system.vendor,
            ':instance': system.instance,
            ':completed': 'completed',
            ':nativeId': nativeId,
            ':now': this.now().toISOString(),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new CrossReferenceConflictError(`${globalId} is already linked to another ${system.vendor}/${system.instance} record than ${nativeId}`);
    }
  }

  /** The global id followed by each one it is merged into, outermost last; stops at a cycle. */
  private async chainOf(globalId: string): Promise<string[]> {
    const chain = [globalId];
    for (let depth = 0; depth < MAX_MERGE_DEPTH; depth++) {
      const next = (await this.get(keys.meta(chain[chain.length - 1]!)))?.mergedInto;
      if (typeof next !== 'string') return chain;
      chain.push(next);
      if (chain.indexOf(next) !== chain.length - 1) return chain;
    }
    return chain;
  }

  /** The global id a record is known by now: the end of its merge chain. */
  private async survivorOf(globalId: string): Promise<string> {
    const chain = await this.chainOf(globalId);
    const last = chain[chain.length - 1]!;
    if (chain.indexOf(last) !== chain.length - 1) throw new Error(`Merge cycle through ${last}: ${chain.join(' -> ')}`);
    if (chain.length > MAX_MERGE_DEPTH) throw new Error(`Merge chain of ${globalId} is deeper than ${MAX_MERGE_DEPTH}`);
    return last;
  }

  private async get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return result.Item;
  }

  private async partition(globalId: string): Promise<Item[]> {
    return (await queryPartition(this.client, this.tableName, keys.globalPartition(globalId))) as Item[];
  }
}

function toLink(item: Item): SystemLink {
  return {
    globalId: String(item.pk).slice('GLOBAL#'.length),
    entityType: item.entityType as SystemLink['entityType'],
    system: { vendor: item.vendor as SystemLink['system']['vendor'], instance: String(item.instance) },
    state: item.state === 'completed' ? 'completed' : 'pending',
    ...(item.nativeId === undefined ? {} : { nativeId: String(item.nativeId) }),
    ...(item.executionId === undefined ? {} : { executionId: String(item.executionId) }),
    ...(item.reservedAt === undefined ? {} : { reservedAt: String(item.reservedAt) }),
  };
}
