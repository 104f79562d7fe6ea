import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PollCheckpoint } from './poll-window';

/** Recent keys per chunk item: about 200 KB, half of DynamoDB's 400 KB item limit. */
const KEYS_PER_CHUNK = 5_000;

/**
 * Where a poll's checkpoint lives: one item, and its recent keys in chunk items beside it. A
 * month-end bulk approval can change a hundred thousand records inside one overlap; every one of their
 * keys must be remembered, or the next poll would publish them all again.
 */
export class PollCheckpointStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(id: string, initial: () => PollCheckpoint): Promise<PollCheckpoint> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    if (typeof Item?.updatedAfter !== 'string') return initial();
    const chunks = Number(Item.chunks ?? 0);
    const keys = Array.from({ length: chunks }, (_, i) => ({ id: `${id}#recent#${i}#${String(Item.generation)}` }));
    const recent: string[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
      while (pending && pending.length > 0) {
        const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const chunk of result.Responses?.[this.tableName] ?? []) recent.push(...(chunk.keys as string[]));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    // BatchGet answers in any order; the keys are kept sorted, as newRecords makes them.
    return { updatedAfter: Item.updatedAfter, recent: recent.sort() };
  }

  /**
   * Saves a checkpoint: chunks first under a new generation, then the item that names them, so a crash
   * in between leaves the previous checkpoint whole. Old generations expire through the table's TTL.
   */
  async save(id: string, checkpoint: PollCheckpoint): Promise<void> {
    const generation = Date.now().toString(36);
    const chunks = Math.ceil(checkpoint.recent.length / KEYS_PER_CHUNK);
    const expiration = Math.floor(Date.now() / 1000) + 7 * 86400;
    for (let i = 0; i < chunks; i++) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: `${id}#recent#${i}#${generation}`, keys: checkpoint.recent.slice(i * KEYS_PER_CHUNK, (i + 1) * KEYS_PER_CHUNK), expiration },
        }),
      );
    }
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { id, updatedAfter: checkpoint.updatedAfter, chunks, generation } }));
  }
}

/**
 * A checkpoint that is one instant (reconciliation's "checked up to"), one item in the idempotency
 * table, read consistently so a run never starts from an older value than the last one stored.
 */
export class InstantCheckpointStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(id: string): Promise<Date | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    return typeof Item?.checkpoint === 'string' ? new Date(Item.checkpoint) : undefined;
  }

  async save(id: string, at: Date): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { id, checkpoint: at.toISOString() } }));
  }
}
