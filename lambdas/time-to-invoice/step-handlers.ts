import type { DeploymentConfig, InvoicePostedEvent, Money, Vendor } from '../../canonical';
import { remediationFor } from '../common/errors';
import { type BusinessException, failureReason } from '../common/exceptions';
import type { BillingLedger } from '../ports/billing-ledger';
import type { InvoicingPort } from '../ports/erp';
import type { PsaBillingPort } from '../ports/psa';
import { type BillingRunInput, draftPeriodInvoice, invoiceItemsOf, markPageBilled, postPeriodInvoice, recordInvoiceInPsa } from './billing-steps';

/**
 * What each Task state of `time-to-invoice.asl.json` does, given its dependencies. The Lambda
 * handlers bind these to the real ledger and adapters; the state machine tests bind them to the ledger
 * on dynalite and fakes of the vendor ports.
 */
export interface BillingStepDependencies {
  readonly config: DeploymentConfig;
  readonly ledger: BillingLedger;
  /** The ERP's invoicing port of an instance, for the run (its calls take the slots reserved for billing). */
  readonly invoicingFor: (erpInstance: string, input: BillingRunInput) => InvoicingPort;
  readonly psaBillingFor: (psaInstance: string, input: BillingRunInput) => PsaBillingPort;
  readonly publish: (event: InvoicePostedEvent) => Promise<void>;
  readonly recordException: (exception: BusinessException) => Promise<void>;
  /** Counts an invoice the ERP accepted now (not one found posted before) and its value before tax: the invoices-posted metrics. */
  readonly countPosted: (legalEntityId: string, subtotal: Money) => void;
  readonly now: () => Date;
}

/** The vendor of a configured instance. */
function vendorOf(config: DeploymentConfig, instance: string): Vendor {
  const found = config.vendorInstances.find((v) => v.id === instance);
  if (found === undefined) throw new Error(`Vendor instance ${instance} is not configured`);
  return found.vendor;
}

/** The input of RecordBillingException: the run and Step Functions' `{ Error, Cause }`. */
export type FailedRunInput = BillingRunInput & { readonly failure?: { readonly Error: string; readonly Cause?: string } };

/** The step implementations, by Task state name. */
export function billingStepHandlers(deps: BillingStepDependencies) {
  return {
    DraftInvoice: (input: BillingRunInput) => draftPeriodInvoice(input, { ledger: deps.ledger, config: deps.config }),
    PostInvoice: async (input: BillingRunInput) => {
      const contract = await deps.ledger.contractOf(input.psa);
      return postPeriodInvoice(input, {
        ledger: deps.ledger,
        erp: deps.invoicingFor(contract?.erp.instance ?? 'unknown', input),
        itemsFor: (erp) => invoiceItemsOf(deps.config, erp),
        countPosted: deps.countPosted,
      });
    },
    MarkPageBilled: (input: BillingRunInput & { page: number }) => markPageBilled(input, { ledger: deps.ledger }),
    RecordInvoiceInPsa: (input: BillingRunInput) =>
      recordInvoiceInPsa(input, {
        ledger: deps.ledger,
        psa: deps.psaBillingFor(input.psa.instance, input),
        erpVendorOf: (erp) => vendorOf(deps.config, erp),
        publish: deps.publish,
        now: deps.now,
      }),
    RecordBillingException: async (input: FailedRunInput) => {
      const exception = billingException(input);
      await deps.recordException(exception);
      return { recorded: true, reason: exception.reason };
    },
  };
}

/** A failed run as a business exception a person can act on. */
export function billingException(input: FailedRunInput): BusinessException {
  const failure = input.failure ?? { Error: 'Unknown' };
  return {
    workflow: 'time-to-invoice',
    entityType: 'contract-period',
    entityId: `${input.psa.instance}:${input.psa.projectId}:${input.periodStart}`,
    reason: failureReason(failure),
    remediation: remediationFor('time-to-invoice', failure.Error),
    correlationId: input.correlationId,
    source: { vendor: 'kantata', instance: input.psa.instance },
    execution: input.execution,
  };
}
