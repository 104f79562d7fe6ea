import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InvoicePostedEvent, Money } from '../../canonical';
import { DynamoDbBillingLedger } from '../../lambdas/dynamodb/billing-ledger';
import type { ErpInvoiceDraft, InvoicingPort } from '../../lambdas/ports/erp';
import type { PsaBillingPort, PsaInvoice } from '../../lambdas/ports/psa';
import { draftPeriodInvoice, postPeriodInvoice, recordInvoiceInPsa } from '../../lambdas/time-to-invoice/billing-steps';
import { contractFixture } from './contract-fixture';
import { exampleConfig } from './example-config';

let n = 0;

/** An ERP invoicing fake that records each invoice it posts (or throws the next of `failures`), untaxed. */
export function recordingInvoicing(posted: ErpInvoiceDraft[], invoiceNumber: string, failures: Error[] = []): InvoicingPort {
  return {
    postInvoice: async (invoice) => {
      const failure = failures.shift();
      if (failure) throw failure;
      posted.push(invoice);
      const total = invoice.lines.reduce((sum, l) => sum + l.amount.amountMinor, 0);
      return {
        id: '2001',
        invoiceNumber,
        subtotal: { amountMinor: total, currency: 'USD' },
        tax: { amountMinor: 0, currency: 'USD' },
        total: { amountMinor: total, currency: 'USD' },
      };
    },
  };
}

/** A PSA billing fake that records each invoice it is asked to record; it polls nothing. */
export function recordingPsaBilling(recorded: PsaInvoice[], psaInvoiceId: string): PsaBillingPort {
  return {
    approvedWorkSince: async () => [],
    completedMilestonesSince: async () => [],
    recordPaymentStatus: async () => undefined,
    recordInvoice: async (_p, invoice) => (recorded.push(invoice), { id: psaInvoiceId }),
  };
}

/**
 * A contract on the real ledger (on dynalite) with plain fakes of the ERP's invoicing port and the PSA's
 * billing port, which record what they were asked: what the billing steps and the payment steps run on.
 */
export function billingRunFixture(documents: DynamoDBDocumentClient, table: string, legalEntityId = 'acme-us') {
  const psa = { instance: 'kantata-global', projectId: `w${++n}` };
  const ledger = new DynamoDbBillingLedger(documents, table);
  const contract = contractFixture(psa, { legalEntityId, crm: { instance: 'salesforce-main', opportunityId: '006A', accountId: '001A' } });
  const posted: ErpInvoiceDraft[] = [];
  const erp = recordingInvoicing(posted, 'INV000042');
  const recorded: PsaInvoice[] = [];
  const psaPort = recordingPsaBilling(recorded, 'k-1');
  const published: InvoicePostedEvent[] = [];
  const input = { psa, periodStart: '2026-11-01', periodEnd: '2026-11-30', execution: `x-${psa.projectId}`, correlationId: 'c-1' };
  const items = () => ({ time: '101', expense: '102', milestone: '103', retainer: '103' });
  const counted: { legalEntityId: string; total: Money }[] = [];
  const countPosted = (legalEntityId: string, total: Money) => void counted.push({ legalEntityId, total });
  return { psa, ledger, contract, erp, posted, psaPort, recorded, published, input, items, counted, countPosted };
}

/** Bills the fixture's contract for November: one time entry, drafted, posted and recorded in the PSA (announced). */
export async function billNovember(s: ReturnType<typeof billingRunFixture>, hours: string): Promise<void> {
  await s.ledger.recordContract(s.contract);
  await s.ledger.recordWork(
    s.psa,
    { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours, billable: true } },
    '2026-11-12T00:00:00Z',
  );
  await draftPeriodInvoice(s.input, { ledger: s.ledger, config: exampleConfig() });
  await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items, countPosted: s.countPosted });
  await recordInvoiceInPsa(s.input, {
    ledger: s.ledger,
    psa: s.psaPort,
    erpVendorOf: () => 'netsuite',
    publish: async (e) => void s.published.push(e),
    now: () => new Date(),
  });
}
