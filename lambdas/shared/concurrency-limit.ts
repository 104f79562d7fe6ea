import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { VendorThrottledError } from './vendor-errors';

/**
 * A per-vendor-instance concurrency limit shared by every Lambda in the region: the instance has
 * `limit` lease slots (items `lease#<instance>#<slot>` in the idempotency table); a call takes a free
 * or expired slot with a conditional put, and gives it back after. Leases expire, so a crashed holder
 * frees its slot. When every slot is held the call is not made: it fails as throttled, and the state
 * machine's backoff retries it later, as it would after a vendor 429, without spending a vendor call.
 */
export class ConcurrencyLimit {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `call` holding one of the instance's `limit` slots. */
  async run<T>(instance: string, limit: number, leaseSeconds: number, call: () => Promise<T>): Promise<T> {
    const lease = await this.acquire(instance, limit, leaseSeconds);
    try {
      return await call();
    } finally {
      await this.client
        .send(new DeleteCommand({ TableName: this.tableName, Key: { id: lease.key }, ConditionExpression: 'leaseId = :lease', ExpressionAttributeValues: { ':lease': lease.id } }))
        .catch(() => undefined); // expired and taken over: the new holder's lease stands
    }
  }

  private async acquire(instance: string, limit: number, leaseSeconds: number): Promise<{ key: string; id: string }> {
    const id = randomUUID();
    const now = this.now();
    // Start at a random slot so concurrent callers do not all contend for slot 0.
    const start = Math.floor(Math.random() * limit);
    for (let i = 0; i < limit; i++) {
      const key = `lease#${instance}#${(start + i) % limit}`;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { id: key, leaseId: id, leaseExpiresAt: now + leaseSeconds * 1000, expiration: Math.ceil(now / 1000) + leaseSeconds + 3600 },
            ConditionExpression: 'attribute_not_exists(id) OR leaseExpiresAt < :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return { key, id };
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    throw new VendorThrottledError({ vendor: 'local-limit', instance, operation: `acquire one of ${limit} concurrency slots` });
  }
}
