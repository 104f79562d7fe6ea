import type { BusinessCentralErp } from '../business-central/business-central-erp';
import type { AuditTrail } from '../common/audit-trail';
import { documents } from '../common/clients/dynamodb';
import { SyncError } from '../common/errors';
import type { WriteJournal } from '../common/write-journal';
import { adapters } from './adapters';
import { type Container, FLOW_RULES } from './container';
import { FunctionEnvironmentError } from './function-environment';
import { vendorSecret } from './secrets';
import { auditTrail } from './tables';
import { regionLimiter } from './vendor-limiter';

/** A slot's lease outlives its holder's timeout by this much: a crashed holder frees it, a live one never loses it. */
const LEASE_MARGIN_SECONDS = 30;
/** How long a state machine's task waits for a slot before failing as throttled; the state machine retries it with backoff. */
const TASK_SLOT_WAIT_MS = 5_000;
/** The share of its timeout a queue consumer waits for a slot: failing costs the record a receive towards its DLQ. */
const CONSUMER_SLOT_WAIT_SHARE = 0.1;

/** A business write attempted by a read flow: a defect, refused rather than dropped. */
export class ReadFlowWriteError extends SyncError {
  override readonly name = 'ReadFlowWrite';
}

/** The ports of the configured vendor instances, as one call context sees them. */
export type Ports = ReturnType<typeof adapters>;

/** A function's way to the vendors, under its flow rule. */
export interface VendorPorts {
  /** The ports of a call (an execution, a record): adapters under the limiter, writes audited by the rule. */
  ports(context: { readonly execution: string; readonly correlationId: string; readonly journal?: WriteJournal }): Ports;
  /** The Business Central adapter of an instance for the webhook side, kept for the container so its token is reused. */
  businessCentral(instance: string): BusinessCentralErp;
}

/** The vendor ports of a function that names a flow rule. */
export function vendorPorts(c: Container): VendorPorts {
  if (c.flow === undefined) throw new FunctionEnvironmentError(`${c.functionId} calls vendors but its wiring names no flow rule`);
  const rule = FLOW_RULES[c.flow];
  const audit: AuditTrail = rule.audited
    ? auditTrail(c)
    : {
        record: async (entry) => {
          throw new ReadFlowWriteError(`${c.functionId} runs a read flow but tried to write ${entry.vendor} ${entry.recordType} ${entry.recordKey}`);
        },
      };
  const limiter = regionLimiter(rule.limiter, {
    config: c.config,
    region: c.env.region,
    documents: documents(),
    idempotencyTable: c.env.tableName('idempotency'),
    // Polls page through a backlog inside one port call: the lease covers the holder's whole run.
    leaseSeconds: c.timeoutSeconds + LEASE_MARGIN_SECONDS,
    maxWaitMs: c.consumesQueue ? c.timeoutSeconds * 1000 * CONSUMER_SLOT_WAIT_SHARE : TASK_SLOT_WAIT_MS,
  });
  const businessCentral = new Map<string, BusinessCentralErp>();
  return {
    ports: (context) => adapters(c.config, vendorSecret, { audit, ...context }, limiter),
    businessCentral: (instance) => {
      let erp = businessCentral.get(instance);
      if (erp === undefined) {
        const context = { audit, execution: `business-central-${instance}`, correlationId: `business-central-${instance}` };
        erp = adapters(c.config, vendorSecret, context, limiter).businessCentralFor(instance);
        businessCentral.set(instance, erp);
      }
      return erp;
    },
  };
}
