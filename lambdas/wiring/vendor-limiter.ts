import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeploymentConfig, regionalConcurrency } from '../../canonical/deployment-config';
import { ConcurrencyLimit } from '../shared/concurrency-limit';
import type { Limiter } from './adapters';

/** How long a slot is leased: longer than any function that holds one runs, so a slot is never freed under a running call. */
const LEASE_SECONDS = 90;

/**
 * The region's limiter for vendor calls of one kind of flow: each call holds one of the instance's
 * slots for this region (its share of the tenant's limit), kept in the idempotency table. Billing may
 * take the slots reserved for it; other flows leave them free, so month-end billing outranks
 * master-data syncs and status updates.
 */
export function regionLimiter(
  flow: 'billing' | 'other',
  setting: { config: DeploymentConfig; region: string; documents: DynamoDBDocumentClient; idempotencyTable: string },
): Limiter {
  const limit = new ConcurrencyLimit(setting.documents, setting.idempotencyTable);
  return <T>(instanceId: string, _max: number, call: () => Promise<T>) => {
    const instance = setting.config.vendorInstances.find((v) => v.id === instanceId);
    if (instance === undefined) throw new Error(`Vendor instance ${instanceId} is not configured`);
    return limit.run(instanceId, regionalConcurrency(instance, setting.region), LEASE_SECONDS, call, { flow, reservedForBilling: instance.reservedForBilling });
  };
}
