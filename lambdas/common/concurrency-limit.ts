import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { VendorThrottledError } from './errors';

/**
 * A per-vendor-instance concurrency limit shared by every Lambda in the region: the instance has
 * `limit` lease slots (items `lease#<instance>#<slot>` in the idempotency table); a call takes a free
 * or expired slot with a conditional put, and gives it back after. Leases expire, so a crashed holder
 * frees its slot. When every slot is held the caller waits a little for one (slots free in
 * milliseconds at month-end), then the call is not made: it fails as throttled, and the state machine's
 * backoff retries it later, as it would after a vendor 429, without spending a vendor call.
 */
export class ConcurrencyLimit {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
    /**
     * How long a caller waits for a free slot before failing as throttled. Without it, hundreds of
     * billing executions contending for ten slots all fall into Step Functions backoff at once and the
     * run crawls; a short wait with jitter keeps the slots busy. @default 5000
     */
    private readonly maxWaitMs = 5_000,
  ) {}

  /**
   * Runs `call` holding one of the instance's `limit` slots. Billing may take any slot; other flows
   * only the first `limit - reservedForBilling`, so billing outranks master-data syncs at month-end.
   */
  async run<T>(
    instance: string,
    limit: number,
    leaseSeconds: number,
    call: () => Promise<T>,
    priority: { flow: 'billing' | 'other'; reservedForBilling?: number } = { flow: 'other' },
  ): Promise<T> {
    const usable = priority.flow === 'billing' ? limit : Math.max(1, limit - (priority.reservedForBilling ?? 0));
    const lease = await this.acquire(instance, usable, leaseSeconds, priority.flow === 'billing' ? limit : usable);
    try {
      return await call();
    } finally {
      await this.client
        .send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { id: lease.key },
            ConditionExpression: 'leaseId = :lease',
            ExpressionAttributeValues: { ':lease': lease.id },
          }),
        )
        .catch(() => undefined); // expired and taken over: the new holder's lease stands
    }
  }

  private async acquire(instance: string, usable: number, leaseSeconds: number, slots: number): Promise<{ key: string; id: string }> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const lease = await this.tryAcquire(instance, usable, leaseSeconds, slots);
      if (lease) return lease;
      const waited = Date.now() - started;
      if (waited >= this.maxWaitMs) break;
      // Full jitter over a growing step, so waiting callers do not retry in lockstep.
      await new Promise((r) => setTimeout(r, Math.min(this.maxWaitMs - waited, Math.random() * Math.min(1_000, 50 * 2 ** attempt))));
    }
    throw new VendorThrottledError({ vendor: 'local-limit', instance, operation: `acquire one of ${slots} concurrency slots` });
  }

  private async tryAcquire(instance: string, usable: number, leaseSeconds: number, slots: number): Promise<{ key: string; id: string } | undefined> {
    const id = randomUUID();
    const now = this.now();
    // Non-billing callers use slots 0..usable-1; billing tries the reserved slots (usable..slots-1) first.
    const order =
      slots > usable ? [...Array.from({ length: slots - usable }, (_, i) => usable + i), ...Array.from({ length: usable }, (_, i) => i)] : shuffled(usable);
    for (const slot of order) {
      const key = `lease#${instance}#${slot}`;
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
    return undefined;
  }
}

/** Slot numbers 0..n-1 from a random start, so concurrent callers do not all contend for slot 0. */
function shuffled(n: number): number[] {
  const start = Math.floor(Math.random() * n);
  return Array.from({ length: n }, (_, i) => (start + i) % n);
}
