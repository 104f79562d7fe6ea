import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { majorUnits } from '../../canonical/primitives';
import { idempotencyConfig, idempotencyStore } from '../common/idempotency';
import { logger, logInvocationEvent, metrics, publishMetrics } from '../common/runtime';
import type { BillingRunInput } from '../time-to-invoice/billing-steps';
import { type BillingStepDependencies, billingStepHandlers } from '../time-to-invoice/step-handlers';
import { canonicalPublisher } from './bus';
import { type Container, container, type FlowRule, once } from './container';
import { exceptionRecorder } from './exceptions';
import { billingLedger } from './tables';
import { vendorPorts } from './vendor-ports';

/** The step implementations bound to the ledger, the adapters (billing flow rule), the bus and the exception store. */
function dependencies(c: Container): BillingStepDependencies {
  // Each made on first use and kept for the container: DraftInvoice, for one, never calls a vendor.
  const vendors = once(() => vendorPorts(c));
  const ledger = once(() => billingLedger(c));
  const exceptions = once(() => exceptionRecorder(c));
  const publish = once(() => canonicalPublisher(c));
  const ports = (input: BillingRunInput) => vendors().ports({ execution: input.execution, correlationId: input.correlationId });
  return {
    config: c.config,
    get ledger() {
      return ledger();
    },
    invoicingFor: (erp, input) => ports(input).invoicingFor(erp),
    psaBillingFor: (psa, input) => ports(input).psaBillingFor(psa),
    publish: (event) => publish()('ps-sync.time-to-invoice', [event]),
    recordException: async (exception) => {
      await exceptions().record(exception, c.clock());
    },
    countPosted: (legalEntityId, subtotal) => {
      const posted = metrics.singleMetric();
      posted.addDimension('legalEntity', legalEntityId);
      posted.addMetric('InvoicesPosted', MetricUnit.Count, 1);
      const value = metrics.singleMetric();
      value.addDimensions({ legalEntity: legalEntityId, currency: subtotal.currency });
      value.addMetric('InvoicedValue', MetricUnit.NoUnit, majorUnits(subtotal).toNumber());
    },
    now: c.clock,
  };
}

type Steps = ReturnType<typeof billingStepHandlers>;

/**
 * The handler of one Task state of time-to-invoice.asl.json (the function of the same id).
 * Vendor-writing steps are wrapped in Powertools idempotency keyed by the execution name (and page),
 * so a duplicate invocation returns the stored result without calling again. Steps that call vendors
 * run the `billing` flow rule: they may take the slots reserved for billing. The state is logged first
 * when the function's environment asks for it (`POWERTOOLS_LOGGER_LOG_EVENT`, `logInvocationEvent`).
 */
export function billingTask<K extends keyof Steps>(step: K, options: { idempotent: boolean; flow?: FlowRule }) {
  const c = container(step, options.flow);
  const steps = billingStepHandlers(dependencies(c));
  const config = idempotencyConfig('[execution, page]', c.env.idempotencyTtlSeconds);
  const run = async (input: Parameters<Steps[K]>[0]) => {
    const result = await (steps[step] as (i: typeof input) => Promise<unknown>)(input);
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    logger.info(`${step} done`, { status: (result as { status?: string }).status ?? 'ok', reason: (result as { reason?: string }).reason });
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(c.env.tableName('idempotency')), config }) : run;
  return async (input: Parameters<Steps[K]>[0], context: Context) => {
    config.registerLambdaContext(context);
    // This invocation's keys first, so that its lines, the event's included, carry its own ids (a
    // replayed idempotent step runs no `run`, and a warm container keeps the last invocation's keys).
    logger.appendKeys({ correlationId: input.correlationId, execution: input.execution });
    // The state when POWERTOOLS_LOGGER_LOG_EVENT is true (runtime.ts), masked like every line.
    logInvocationEvent(input);
    try {
      return await wrapped(input);
    } finally {
      publishMetrics();
    }
  };
}
