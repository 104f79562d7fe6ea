import type { DeploymentConfig, InvoicePostedEvent } from '../../canonical';
import { type BusinessException, failureReason } from '../shared/exceptions';
import { type BillingRunInput, draftPeriodInvoice, invoiceItemsOf, markPageBilled, postPeriodInvoice, recordInvoiceInPsa } from './domain/billing-steps';
import type { BillingLedger, InvoicingPort, PsaBillingPort } from './ports';

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
  readonly now: () => Date;
}

/** The input of RecordBillingException: the run and Step Functions' `{ Error, Cause }`. */
export type FailedRunInput = BillingRunInput & { readonly failure?: { readonly Error: string; readonly Cause?: string } };

/** The step implementations, by Task state name. */
export function billingStepHandlers(deps: BillingStepDependencies) {
  return {
    DraftInvoice: (input: BillingRunInput) => draftPeriodInvoice(input, { ledger: deps.ledger, config: deps.config }),
    PostInvoice: async (input: BillingRunInput) => {
      const contract = await deps.ledger.contractOf(input.psa);
      return postPeriodInvoice(input, { ledger: deps.ledger, erp: deps.invoicingFor(contract?.erp.instance ?? 'unknown', input), itemsFor: (erp) => invoiceItemsOf(deps.config, erp) });
    },
    MarkPageBilled: (input: BillingRunInput & { page: number }) => markPageBilled(input, { ledger: deps.ledger }),
    RecordInvoiceInPsa: (input: BillingRunInput) => recordInvoiceInPsa(input, { ledger: deps.ledger, psa: deps.psaBillingFor(input.psa.instance, input), publish: deps.publish, now: deps.now }),
    RecordBillingException: async (input: FailedRunInput) => {
      const exception = billingException(input);
      await deps.recordException(exception);
      return { recorded: true, reason: exception.reason };
    },
  };
}

const REMEDIATION: Readonly<Record<string, string>> = {
  ContractUnknown: 'The project was not activated by opportunity to project (or not yet); activate it, then start the run again with a new revision.',
  InvoiceItemsNotConfigured: "Add invoiceItems to the ERP instance's configuration and redeploy, then start the run again with a new revision.",
  VendorThrottled: 'The ERP kept throttling after every retry (month-end load); start the run again with a new revision once it is quieter.',
  VendorUnavailable: "The vendor kept failing after every retry; check the vendor's status, then start the run again with a new revision.",
  VendorRejected: 'The vendor refused the invoice for the reason above; correct the data, then start the run again with a new revision.',
};

/** A failed run as a business exception a person can act on. */
export function billingException(input: FailedRunInput): BusinessException {
  const failure = input.failure ?? { Error: 'Unknown' };
  return {
    workflow: 'time-to-invoice',
    entityType: 'contract-period',
    entityId: `${input.psa.instance}:${input.psa.projectId}:${input.periodStart}`,
    reason: failureReason(failure),
    remediation: REMEDIATION[failure.Error] ?? 'See the execution history for the failed step; start the run again with a new revision once fixed.',
    correlationId: input.correlationId,
    source: { vendor: 'kantata', instance: input.psa.instance },
    execution: input.execution,
  };
}
