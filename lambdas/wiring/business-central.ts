import { adapters } from './adapters';
import { deploymentConfig } from '../shared/runtime';
import { vendorSecret } from './secrets';
import { regionLimiter } from './vendor-limiter';
import type { BusinessCentralErp } from '../business-central/business-central-erp';

const cached = new Map<string, BusinessCentralErp>();

/**
 * The Business Central adapter of an instance for the webhook side, kept for the container so its
 * Entra token is reused, and under the instance's limit as a non-billing flow: a month-end flood of
 * notifications about our own invoices must not take the slots billing needs.
 */
export function businessCentral(instance: string): BusinessCentralErp {
  let erp = cached.get(instance);
  if (erp === undefined) {
    const context = { audit: { record: async () => undefined }, execution: `business-central-${instance}`, correlationId: `business-central-${instance}` };
    erp = adapters(deploymentConfig(), vendorSecret, context, regionLimiter('other')).businessCentralFor(instance);
    cached.set(instance, erp);
  }
  return erp;
}
