import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BILLED_IDS_PAGE_SIZE,
  draftPeriodInvoice,
  markPageBilled,
  postPeriodInvoice,
  recordInvoiceInPsa,
} from '../../../lambdas/time-to-invoice/billing-steps';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { billingRunFixture } from '../../support/billing-run-fixture';
import { startDynalite } from '../../support/dynalite';
import { exampleConfig } from '../../support/example-config';

// The steps with the real ledger on dynalite and plain fakes typed by the vendor ports.
let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('ledger', TABLE_KEYS.billingLedger);
});
afterAll(async () => db.close());

const config = exampleConfig();
const setup = (legalEntityId?: string) => billingRunFixture(db.documents, 'ledger', legalEntityId);

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
    const post = await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items, countPosted: s.countPosted });
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

    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items, countPosted: s.countPosted });
    await postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: s.items, countPosted: s.countPosted });

    expect(s.posted).toHaveLength(1);
    // Counted once, for the invoice's legal entity: the second call found it posted.
    expect(s.counted).toEqual([{ legalEntityId: 'acme-us', total: expect.objectContaining({ currency: 'USD' }) }]);
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

    await expect(postPeriodInvoice(s.input, { ledger: s.ledger, erp: s.erp, itemsFor: () => undefined, countPosted: s.countPosted })).rejects.toMatchObject({
      name: 'InvoiceItemsNotConfigured',
      message: expect.stringContaining('invoiceItems'),
    });
    expect(s.posted).toEqual([]);
  });
});
