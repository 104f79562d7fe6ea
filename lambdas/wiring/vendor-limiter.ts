import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeploymentConfig, regionalConcurrency } from '../../canonical/deployment-config';
import { ConcurrencyLimit } from '../common/concurrency-limit';
import type { Limiter } from './adapters';

/**
 * The region's limiter for vendor calls of one kind of flow: each call holds one of the instance's
 * slots for this region (its share of the tenant's limit), kept in the idempotency table. Billing may
 * take the slots reserved for it; other flows leave them free, so month-end billing outranks
 * master-data syncs and status updates.
 */
export function regionLimiter(
  flow: 'billing' | 'other',
  setting: {
    config: DeploymentConfig;
    region: string;
    documents: DynamoDBDocumentClient;
    idempotencyTable: string;
    /** How long a slot is leased: at least as long as its holder can run, so a slot is never handed out under a running call. */
    leaseSeconds: number;
    /** How long a caller waits for a free slot before failing as throttled. */
    maxWaitMs: number;
  },
): Limiter {
  const limit = new ConcurrencyLimit(setting.documents, setting.idempotencyTable, Date.now, setting.maxWaitMs);
  return <T>(instanceId: string, _max: number, call: () => Promise<T>) => {
    const instance = setting.config.vendorInstances.find((v) => v.id === instanceId);
    if (instance === undefined) throw new Error(`Vendor instance ${instanceId} is not configured`);
    return limit.run(instanceId, regionalConcurrency(instance, setting.region), setting.leaseSeconds, call, {
      flow,
      reservedForBilling: instance.reservedForBilling,
    });
  };
}
