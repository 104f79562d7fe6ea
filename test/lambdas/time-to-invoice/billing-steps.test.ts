import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoicePostedEvent } from '../../../canonical';
import { DynamoDbBillingLedger } from '../../../lambdas/dynamodb/billing-ledger';
import { reportInvoiceToCrm } from '../../../lambdas/invoice-payment-status/billing-health';
import { paymentEvents, recordPayment } from '../../../lambdas/invoice-payment-status/payments';
import type { BillingHealth } from '../../../lambdas/ports/crm';
import type { ErpInvoiceDraft, InvoicingPort } from '../../../lambdas/ports/erp';
import type { PsaBillingPort, PsaInvoice } from '../../../lambdas/ports/psa';
import { invoiceDocumentNumber, invoiceGlobalId, ourInvoiceGlobalId } from '../../../lambdas/shared/billing-keys';
import {
  BILLED_IDS_PAGE_SIZE,
  draftPeriodInvoice,
  markPageBilled,
  postPeriodInvoice,
  recordInvoiceInPsa,
} from '../../../lambdas/time-to-invoice/billing-steps';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { contractFixture } from '../../support/contract-fixture';
import { startDynalite } from '../../support/dynalite';
import { exampleConfig } from '../../support/example-config';

// The steps with the real ledger on dynalite and plain fakes typed by the vendor ports.
let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('ledger', TABLE_KEYS.billingLedger);
});
afterAll(async () => db.close());

const config = exampleConfig();
let n = 0;
function setup(legalEntityId = 'acme-us') {
  const psa = { instance: 'kantata-global', projectId: `w${++n}` };
  const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
  const contract = contractFixture(psa, { legalEntityId, crm: { instance: 'salesforce-main', opportunityId: '006A', accountId: '001A' } });
  const posted: ErpInvoiceDraft[] = [];
  const erp: InvoicingPort = {
    postInvoice: async (invoice) => {
      posted.push(invoice);
      const total = invoice.lines.reduce((sum, l) => sum + l.amount.amountMinor, 0);
      return {
        id: '2001',
        invoiceNumber: 'INV000042',
        subtotal: { amountMinor: total, currency: 'USD' },
        tax: { amountMinor: 0, currency: 'USD' },
        total: { amountMinor: total, currency: 'USD' },
      };
    },
  };
  const recorded: PsaInvoice[] = [];
  const psaPort: PsaBillingPort = {
    approvedWorkSince: async () => [],
    completedMilestonesSince: async () => [],
    recordPaymentStatus: async () => undefined,
    recordInvoice: async (_p, invoice) => (recorded.push(invoice), { id: 'k-1' }),
  };
  const published: InvoicePostedEvent[] = [];
  const input = { psa, periodStart: '2026-11-01', periodEnd: '2026-11-30', execution: `x-${psa.projectId}`, correlationId: 'c-1' };
  const items = () => ({ time: '101', expense: '102', milestone: '103', retainer: '103' });
  return { psa, ledger, contract, erp, posted, psaPort, recorded, published, input, items };
}

describe('the billing steps', () => {
  it('bill a period larger than a page once: drafted, posted by external id, marked page by page, recorded in the PSA, announced', async () => {
    const s = setup();
    await s.ledger.recordContract(s.contract);
    const count = BILLED_IDS_PAGE_SIZE * 2 + 10;
    for (let i = 0; i < count; i++)
      await s.ledger.recordWork(
        s.psa,
        { kind: 'time', item: { id: `t${i}`, workDate: '2026-11-10', role: 'Consultant', hours: '0.25', billable: true } },
        '2026-11-12T00:00:00Z',
      );

    const draft = await draftPeriodInvoice(s.input, { ledger: s.ledger, config });
    const post = await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items });
    for (const page of draft.pages) await markPageBilled({ ...s.input, page }, { ledger: s.ledger });
    const psa = await recordInvoiceInPsa(s.input, {
      ledger: s.ledger,
      psa: s.psaPort,
      erpVendorOf: (erp) => (erp === s.contract.erp.instance ? 'business-central' : 'netsuite'),
      publish: async (e) => void s.published.push(e),
      now: () => new Date('2026-12-01T07:00:00Z'),
    });

    expect(draft).toEqual({ status: 'ready', pages: [0, 1, 2], total: { amountMinor: count * 0.25 * 15000, currency: 'USD' }, lines: 1 });
    expect(s.posted).toEqual([
      expect.objectContaining({
        externalId: `g-${s.psa.projectId}:2026-11-01`,
        customerId: '1000',
        tranDate: '2026-11-30',
        lines: [expect.objectContaining({ itemId: '101', quantity: String(count * 0.25), rate: '150' })],
      }),
    ]);
    expect(post.invoiceNumber).toBe('INV000042');
    expect(s.recorded[0]!.timeEntryIds).toHaveLength(count);
    expect(psa.invoiceNumber).toBe('INV000042');
    expect(s.published[0]).toMatchObject({
      type: 'invoice.posted',
      source: { vendor: 'business-central', instance: s.contract.erp.instance },
      payload: { invoiceNumber: 'INV000042', contractGlobalId: `g-${s.psa.projectId}`, postingDate: '2026-11-30' },
    });
    // The period is closed: running it again finds it invoiced and posts nothing.
    expect(await draftPeriodInvoice({ ...s.input, execution: 'x-r2' }, { ledger: s.ledger, config })).toEqual({ status: 'already-invoiced', pages: [] });
  });

  it('post once: a retried post step returns the recorded invoice without calling the ERP again', async () => {
    const s = setup();
    await s.ledger.recordContract(s.contract);
    await s.ledger.recordWork(
      s.psa,
      { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours: '1', billable: true } },
      '2026-11-12T00:00:00Z',
    );
    await draftPeriodInvoice(s.input, { ledger: s.ledger, config });

    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items });
    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items });

    expect(s.posted).toHaveLength(1);
  });

  it('bill nothing for a period without unbilled work, or where the flow is switched off, and refuse a project without a contract', async () => {
    const empty = setup();
    await empty.ledger.recordContract(empty.contract);
    const off = setup('acme-de');
    await off.ledger.recordContract(off.contract);
    const unknown = setup();

    expect(await draftPeriodInvoice(empty.input, { ledger: empty.ledger, config })).toEqual({ status: 'nothing-to-bill', pages: [] });
    expect(await draftPeriodInvoice(off.input, { ledger: off.ledger, config })).toMatchObject({
      status: 'switched-off',
      reason: expect.stringContaining('time-to-invoice'),
    });
    await expect(draftPeriodInvoice(unknown.input, { ledger: unknown.ledger, config })).rejects.toMatchObject({ name: 'ContractUnknown' });
  });

  it('refuse to post when the ERP instance has no invoice items configured, naming what to add', async () => {
    const s = setup();
    await s.ledger.recordContract(s.contract);
    await s.ledger.recordWork(
      s.psa,
      { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours: '1', billable: true } },
      '2026-11-12T00:00:00Z',
    );
    await draftPeriodInvoice(s.input, { ledger: s.ledger, config });

    await expect(postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: () => undefined })).rejects.toMatchObject({
      name: 'InvoiceItemsNotConfigured',
      message: expect.stringContaining('invoiceItems'),
    });
    expect(s.posted).toEqual([]);
  });

  it('report a posted invoice to the CRM account of its contract, its total in major units', async () => {
    const s = setup();
    await s.ledger.recordContract(s.contract);
    await s.ledger.recordWork(
      s.psa,
      { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours: '1.5', billable: true } },
      '2026-11-12T00:00:00Z',
    );
    await draftPeriodInvoice(s.input, { ledger: s.ledger, config });
    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items });
    await recordInvoiceInPsa(s.input, {
      ledger: s.ledger,
      psa: s.psaPort,
      erpVendorOf: () => 'netsuite',
      publish: async (e) => void s.published.push(e),
      now: () => new Date(),
    });
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

  it('name an invoice by a 34-character document number where the ERP field is short, and find its global id again from it', () => {
    const externalId = '6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b:2026-11-01';
    const number = invoiceDocumentNumber(externalId);

    expect(number).toMatch(/^PS[0-9A-F]{32}$/);
    expect(number.length).toBeLessThanOrEqual(35);
    expect(ourInvoiceGlobalId(number)).toBe(invoiceGlobalId(externalId));
    expect(ourInvoiceGlobalId(externalId)).toBe(invoiceGlobalId(externalId));
    expect(invoiceDocumentNumber(externalId.replace('11-01', '12-01'))).not.toBe(number);
    for (const foreign of ['INV-1001', 'PS123', `PS${'G'.repeat(32)}`, undefined]) expect(ourInvoiceGlobalId(foreign)).toBeUndefined();
  });

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
    await s.ledger.recordContract(s.contract);
    await s.ledger.recordWork(
      s.psa,
      { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours: '1', billable: true } },
      '2026-11-12T00:00:00Z',
    );
    await draftPeriodInvoice(s.input, { ledger: s.ledger, config });
    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items });
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
