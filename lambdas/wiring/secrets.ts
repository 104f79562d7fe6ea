import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { deploymentConfig } from '../common/runtime';

/**
 * A vendor instance's credentials from Secrets Manager, cached for five minutes so a rotation is
 * picked up without a deploy. `forceFetch` is for the retry after a 401.
 */
export async function vendorSecret(instanceId: string, options: { forceFetch?: boolean } = {}): Promise<Record<string, unknown>> {
  const instance = deploymentConfig().vendorInstances.find((v) => v.id === instanceId);
  if (instance === undefined) throw new Error(`Vendor instance ${instanceId} is not configured`);
  const value = await getSecret(instance.secretName, { maxAge: 300, transform: 'json', forceFetch: options.forceFetch ?? false });
  if (value === undefined || value === null || typeof value !== 'object')
    throw new Error(`Secret ${instance.secretName} of ${instanceId} is empty or not JSON`);
  return value as Record<string, unknown>;
}
