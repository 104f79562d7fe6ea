import { regionalConcurrency } from '../../canonical/deployment-config';
import type { Limiter } from './adapters';
import { documents } from '../shared/clients/dynamodb';
import { ConcurrencyLimit } from '../shared/concurrency-limit';
import { deploymentConfig, requiredEnvironment } from '../shared/runtime';

/** How long a slot is leased: longer than any function that holds one runs, so a slot is never freed under a running call. */
const LEASE_SECONDS = 90;

/**
 * The region's limiter for vendor calls of one kind of flow: each call holds one of the instance's
 * slots for this region (its share of the tenant's limit). Billing may take the slots reserved for it;
 * other flows leave them free, so month-end billing outranks master-data syncs and status updates.
 */
export function regionLimiter(flow: 'billing' | 'other'): Limiter {
  const config = deploymentConfig();
  const region = requiredEnvironment('AWS_REGION');
  const limit = new ConcurrencyLimit(documents(), requiredEnvironment('IDEMPOTENCY_TABLE_NAME'));
  return <T>(instanceId: string, _max: number, call: () => Promise<T>) => {
    const instance = config.vendorInstances.find((v) => v.id === instanceId);
    if (instance === undefined) throw new Error(`Vendor instance ${instanceId} is not configured`);
    return limit.run(instanceId, regionalConcurrency(instance, region), LEASE_SECONDS, call, { flow, reservedForBilling: instance.reservedForBilling });
  };
}
