import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportInvoiceToCrm } from '../../../lambdas/invoice-payment-status/billing-health';
import type { BillingHealth } from '../../../lambdas/ports/crm';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { billingRunFixture, billNovember } from '../../support/billing-run-fixture';
import { startDynalite } from '../../support/dynalite';

// The steps with the real ledger on dynalite and plain fakes typed by the vendor ports.
let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('ledger', TABLE_KEYS.billingLedger);
});
afterAll(async () => db.close());

const setup = () => billingRunFixture(db.documents, 'ledger');

describe('billing health on the CRM account', () => {
  it('report a posted invoice to the CRM account of its contract, its total in major units', async () => {
    const s = setup();
    await billNovember(s, '1.5');
    const written: [string, string, BillingHealth][] = [];

    const result = await reportInvoiceToCrm(s.published[0]!, {
      ledger: s.ledger,
      crmBillingFor: (instance) => ({ writeBillingHealth: async (account, health) => void written.push([instance, account, health]) }),
    });

    expect(result).toEqual({ accountId: '001A' });
    expect(written).toEqual([
      ['salesforce-main', '001A', { status: 'invoiced', lastInvoiceNumber: 'INV000042', lastInvoiceDate: '2026-11-30', lastInvoiceTotal: '225.00 USD' }],
    ]);
    await expect(
      reportInvoiceToCrm(
        { ...s.published[0]!, payload: { ...s.published[0]!.payload, contractGlobalId: 'unknown' } },
        { ledger: s.ledger, crmBillingFor: () => ({ writeBillingHealth: async () => undefined }) },
      ),
    ).rejects.toMatchObject({ name: 'ContractUnknown' });
  });
});
