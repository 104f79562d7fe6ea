import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { adapters } from './adapters';
import { DynamoDbAuditTrail } from '../shared/audit-trail';
import { documents } from '../shared/clients/dynamodb';
import { publishCanonical } from '../shared/canonical-bus';
import { sqs } from '../shared/clients/sqs';
import { DurableExceptionRecorder } from '../shared/exceptions';
import { idempotencyConfig, idempotencyStore } from '../shared/idempotency';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { vendorSecret } from './secrets';
import { regionLimiter } from './vendor-limiter';
import type { BillingRunInput } from '../time-to-invoice/billing-steps';
import { DynamoDbBillingLedger } from '../dynamodb/billing-ledger';
import { billingStepHandlers } from '../time-to-invoice/step-handlers';

/** Audit entries are kept this many days. */
const AUDIT_RETENTION_DAYS = 400;

/** The adapters of a billing run: vendor calls under the instance's limit, taking the slots reserved for billing. */
function ports(input: BillingRunInput) {
  const config = deploymentConfig();
  const limiter = regionLimiter('billing');
  const audit = new DynamoDbAuditTrail(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), AUDIT_RETENTION_DAYS);
  return adapters(config, vendorSecret, { audit, execution: input.execution, correlationId: input.correlationId }, limiter);
}

/** The step implementations bound to the real ledger, adapters, bus and exception store. */
function steps() {
  const optional = (name: string) => process.env[name];
  return billingStepHandlers({
    config: deploymentConfig(),
    ledger: new DynamoDbBillingLedger(documents(), optional('BILLING_LEDGER_TABLE_NAME') ?? 'unused'),
    invoicingFor: (erp, input) => ports(input).invoicingFor(erp),
    psaBillingFor: (psa, input) => ports(input).psaBillingFor(psa),
    publish: (event) => publishCanonical('ps-sync.time-to-invoice', [event]),
    recordException: async (exception) => {
      await new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL')).record(exception, new Date());
    },
    now: () => new Date(),
  });
}

type Steps = ReturnType<typeof billingStepHandlers>;

/**
 * A Task state's handler. Vendor-writing steps are wrapped in Powertools idempotency keyed by the
 * execution name (and page), so a duplicate invocation returns the stored result without calling again.
 */
export function billingTask<K extends keyof Steps>(step: K, options: { idempotent: boolean }) {
  const config = idempotencyConfig('[execution, page]');
  const run = async (input: Parameters<Steps[K]>[0]) => {
    logger.appendKeys({ correlationId: input.correlationId, execution: input.execution });
    const result = await (steps()[step] as (i: typeof input) => Promise<unknown>)(input);
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    logger.info(`${step} done`, { status: (result as { status?: string }).status ?? 'ok', reason: (result as { reason?: string }).reason });
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(), config }) : run;
  return async (input: Parameters<Steps[K]>[0], context: Context) => {
    config.registerLambdaContext(context);
    try {
      return await wrapped(input);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
