import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceGlobalId } from '../../../lambdas/common/billing-keys';
import { paymentEvents, recordPayment } from '../../../lambdas/invoice-payment-status/payments';
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

describe('payments on our invoices', () => {
  it('turn payments on our invoices into one event per state, and record them on the PSA invoice and the CRM account', async () => {
    const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' as const });
    const status = (id: string, externalId: string | undefined, paid: number, due: number) => ({
      id,
      ...(externalId ? { externalId } : {}),
      invoiceNumber: `INV${id}`,
      total: usd(paid + due),
      amountPaid: usd(paid),
      amountDue: usd(due),
      lastModified: '2026-12-05T10:00:00Z',
    });

    const events = paymentEvents(
      { vendor: 'netsuite', instance: 'netsuite-us' },
      [
        status('1', 'g-1:2026-11-01', 10000, 5000),
        status('2', 'g-1:2026-10-01', 15000, 0),
        status('3', 'g-1:2026-09-01', 0, 15000),
        status('4', 'MANUAL-77', 500, 0),
        status('5', undefined, 500, 0),
      ],
      'c-1',
    );
    const again = paymentEvents({ vendor: 'netsuite', instance: 'netsuite-us' }, [status('1', 'g-1:2026-11-01', 10000, 5000)], 'c-2');

    expect(events.map((e) => [e.payload.invoice.id, e.payload.state, e.payload.invoiceGlobalId])).toEqual([
      ['1', 'partially-paid', invoiceGlobalId('g-1:2026-11-01')],
      ['2', 'paid', invoiceGlobalId('g-1:2026-10-01')],
    ]);
    expect(again[0]!.id).toBe(events[0]!.id);

    const s = setup();
    await billNovember(s, '1');
    const external = `g-${s.psa.projectId}:2026-11-01`;
    const psaWrites: [string, string][] = [];
    const crmWrites: string[] = [];
    const [paidInFull] = paymentEvents({ vendor: 'netsuite', instance: 'netsuite-us' }, [status('2001', external, 15000, 0)], 'c-3');

    const recorded = await recordPayment(paidInFull!, {
      ledger: s.ledger,
      psaBillingFor: () => ({ ...s.psaPort, recordPaymentStatus: async (id, p) => void psaWrites.push([id, p.state]) }),
      crmBillingFor: () => ({ writeBillingHealth: async (_account, health) => void crmWrites.push(health.status) }),
    });
    const foreign = await recordPayment(
      { ...paidInFull!, payload: { ...paidInFull!.payload, invoiceGlobalId: invoiceGlobalId('other:2026-11-01') } },
      { ledger: s.ledger, psaBillingFor: () => s.psaPort, crmBillingFor: () => ({ writeBillingHealth: async () => undefined }) },
    );

    expect(recorded).toEqual({ state: 'paid' });
    expect([psaWrites, crmWrites]).toEqual([[[external, 'paid']], ['paid']]);
    expect(foreign).toMatchObject({ skipped: expect.stringContaining('not posted by a billing run') });
  });
});
