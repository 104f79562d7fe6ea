import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { regionalConcurrency } from '../../canonical/deployment-config';
import { adapters } from '../shared/adapters';
import { DynamoDbAuditTrail } from '../shared/audit-trail';
import { documents } from '../shared/clients/dynamodb';
import { events } from '../shared/clients/eventbridge';
import { sqs } from '../shared/clients/sqs';
import { ConcurrencyLimit } from '../shared/concurrency-limit';
import { type BusinessException, DurableExceptionRecorder } from '../shared/exceptions';
import { idempotencyConfig, idempotencyStore } from '../shared/idempotency';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { vendorSecret } from '../shared/secrets';
import { type BillingRunInput, draftPeriodInvoice, invoiceItemsOf, markPageBilled, postPeriodInvoice, recordInvoiceInPsa } from './domain/billing-steps';
import { DynamoDbBillingLedger } from './dynamodb-billing-ledger';

/** Audit entries are kept this many days. */
const AUDIT_RETENTION_DAYS = 400;

const ledger = () => new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME'));

/** The adapters of a billing run: vendor calls under the instance's limit, taking the slots reserved for billing. */
function ports(input: BillingRunInput) {
  const config = deploymentConfig();
  const region = requiredEnvironment('AWS_REGION');
  const limit = new ConcurrencyLimit(documents(), requiredEnvironment('IDEMPOTENCY_TABLE_NAME'));
  const limiter = <T>(instanceId: string, _max: number, call: () => Promise<T>) => {
    const instance = config.vendorInstances.find((v) => v.id === instanceId)!;
    return limit.run(instanceId, regionalConcurrency(instance, region), 90, call, { flow: 'billing', reservedForBilling: instance.reservedForBilling });
  };
  const audit = new DynamoDbAuditTrail(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), AUDIT_RETENTION_DAYS);
  return adapters(config, vendorSecret, { audit, execution: input.execution, correlationId: input.correlationId }, limiter);
}

/** The step implementations of time-to-invoice.asl.json, bound to the real ledger and adapters. */
const steps = {
  DraftInvoice: (input: BillingRunInput) => draftPeriodInvoice(input, { ledger: ledger(), config: deploymentConfig() }),
  PostInvoice: async (input: BillingRunInput) => {
    const contract = await ledger().contractOf(input.psa);
    return postPeriodInvoice(input, { ledger: ledger(), erp: ports(input).invoicingFor(contract?.erp.instance ?? 'unknown'), itemsFor: (erp) => invoiceItemsOf(deploymentConfig(), erp) });
  },
  MarkPageBilled: (input: BillingRunInput & { page: number }) => markPageBilled(input, { ledger: ledger() }),
  RecordInvoiceInPsa: (input: BillingRunInput) =>
    recordInvoiceInPsa(input, {
      ledger: ledger(),
      psa: ports(input).psaBillingFor(input.psa.instance),
      publish: async (event) => {
        const result = await events().send(
          new PutEventsCommand({ Entries: [{ EventBusName: requiredEnvironment('EVENT_BUS_NAME'), Source: 'ps-sync.time-to-invoice', DetailType: event.type, Detail: JSON.stringify(event) }] }),
        );
        if (result.FailedEntryCount) throw new Error(`EventBridge refused invoice.posted: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
      },
      now: () => new Date(),
    }),
  RecordBillingException: async (input: BillingRunInput & { failure?: { Error: string; Cause?: string } }) => {
    const exception = billingException(input);
    await new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL')).record(exception, new Date());
    return { recorded: true, reason: exception.reason };
  },
};

const REMEDIATION: Readonly<Record<string, string>> = {
  ContractUnknown: 'The project was not activated by opportunity to project (or not yet); activate it, then start the run again with a new revision.',
  InvoiceItemsNotConfigured: "Add invoiceItems to the ERP instance's configuration and redeploy, then start the run again with a new revision.",
  VendorThrottled: 'The ERP kept throttling after every retry (month-end load); start the run again with a new revision once it is quieter.',
  VendorUnavailable: "The vendor kept failing after every retry; check the vendor's status, then start the run again with a new revision.",
  VendorRejected: 'The vendor refused the invoice for the reason above; correct the data, then start the run again with a new revision.',
};

/** A failed run as a business exception a person can act on. */
export function billingException(input: BillingRunInput & { failure?: { Error: string; Cause?: string } }): BusinessException {
  const failure = input.failure ?? { Error: 'Unknown' };
  let reason = failure.Cause ?? failure.Error;
  try {
    const parsed = JSON.parse(reason) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') reason = parsed.errorMessage;
  } catch {
    // a plain message
  }
  return {
    workflow: 'time-to-invoice',
    entityType: 'contract-period',
    entityId: `${input.psa.instance}:${input.psa.projectId}:${input.periodStart}`,
    reason: `${failure.Error}: ${reason}`,
    remediation: REMEDIATION[failure.Error] ?? 'See the execution history for the failed step; start the run again with a new revision once fixed.',
    correlationId: input.correlationId,
    source: { vendor: 'kantata', instance: input.psa.instance },
    execution: input.execution,
  };
}

/**
 * A Task state's handler. Vendor-writing steps are wrapped in Powertools idempotency keyed by the
 * execution name and page, so a duplicate invocation returns the stored result without calling again.
 */
export function billingTask<K extends keyof typeof steps>(step: K, options: { idempotent: boolean }) {
  const config = idempotencyConfig('[execution, page]');
  const run = async (input: Parameters<(typeof steps)[K]>[0]) => {
    logger.appendKeys({ correlationId: input.correlationId, execution: input.execution });
    const result = await (steps[step] as (i: typeof input) => Promise<unknown>)(input);
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    logger.info(`${step} done`);
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(), config }) : run;
  return async (input: Parameters<(typeof steps)[K]>[0], context: Context) => {
    config.registerLambdaContext(context);
    try {
      return await wrapped(input);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
