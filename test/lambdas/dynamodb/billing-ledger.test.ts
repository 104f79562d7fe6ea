import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBillingLedger } from '../../../lambdas/dynamodb/billing-ledger';
import type { ApprovedWork } from '../../../lambdas/ports/psa';
import { draftInvoice } from '../../../lambdas/time-to-invoice/billing-engine';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { contractFixture } from '../../support/contract-fixture';
import { startDynalite } from '../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('ledger', TABLE_KEYS.billingLedger);
});
afterAll(async () => db.close());

let n = 0;
const project = () => ({ instance: 'kantata-global', projectId: `w${++n}` });
const time = (id: string, workDate: string, hours = '8'): ApprovedWork => ({ kind: 'time', item: { id, workDate, role: 'Consultant', hours, billable: true } });
const contract = (psa: { instance: string; projectId: string }) => contractFixture(psa);

describe('DynamoDbBillingLedger', () => {
  it('records approved work once per version: a redelivery or an older version changes nothing, a newer one replaces it', async () => {
    const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
    const psa = project();

    const outcomes = [
      await ledger.recordWork(psa, time('t1', '2026-11-02', '8'), '2026-11-03T10:00:00Z'),
      await ledger.recordWork(psa, time('t1', '2026-11-02', '8'), '2026-11-03T10:00:00Z'),
      await ledger.recordWork(psa, time('t1', '2026-11-02', '6'), '2026-11-02T10:00:00Z'),
      await ledger.recordWork(psa, time('t1', '2026-11-02', '7'), '2026-11-04T10:00:00Z'),
    ];

    expect(outcomes).toEqual(['recorded', 'unchanged', 'unchanged', 'recorded']);
    expect((await ledger.workOf(psa)).time).toEqual([time('t1', '2026-11-02', '7').item]);
  });

  it('lists a project under the month worked and the month approved', async () => {
    const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
    const psa = project();

    await ledger.recordWork(psa, time('t1', '2026-08-28'), '2026-09-02T10:00:00Z');

    expect(await ledger.projectsWithWorkIn('2026-08')).toContainEqual(psa);
    expect(await ledger.projectsWithWorkIn('2026-09')).toContainEqual(psa);
    expect(await ledger.projectsWithWorkIn('2026-10')).not.toContainEqual(psa);
  });

  it('keeps the first draft of a period with its billed ids in pages, which count as billed for every later draft and change', async () => {
    const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
    const psa = project();
    await ledger.recordContract(contract(psa));
    for (let i = 0; i < 5; i++) await ledger.recordWork(psa, time(`t${i}`, '2026-11-0' + (i + 1)), '2026-11-10T00:00:00Z');
    const work = await ledger.workOf(psa);
    const draft = draftInvoice(contract(psa).terms, { start: '2026-11-01', end: '2026-11-30' }, work, work.history);

    const saved = await ledger.saveDraft(psa, draft, 2);
    const again = await ledger.saveDraft(psa, { ...draft, lines: [] }, 2);

    expect([saved.pages, saved.status, again.draft.lines.length]).toEqual([3, 'drafted', draft.lines.length]);
    expect(
      [
        ...(await ledger.billedIdsPage(psa, '2026-11-01', 0)),
        ...(await ledger.billedIdsPage(psa, '2026-11-01', 1)),
        ...(await ledger.billedIdsPage(psa, '2026-11-01', 2)),
      ].sort(),
    ).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const history = (await ledger.workOf(psa)).history;
    expect([history.billedIds.size, history.timeBilledMinor]).toEqual([5, 5 * 8 * 15000]);
    expect(await ledger.recordWork(psa, time('t2', '2026-11-03', '9'), '2026-11-20T00:00:00Z')).toBe('changed-after-billing');
    expect(await ledger.recordWork(psa, time('t2', '2026-11-03'), '2026-11-10T00:00:00Z')).toBe('unchanged');
    // Approved again with the same hours (its weekly timecard changed on another day): nothing to refuse.
    expect(await ledger.recordWork(psa, time('t3', '2026-11-04'), '2026-11-21T00:00:00Z')).toBe('unchanged');
  });

  it('moves an invoice from drafted to posted to marked, and a late post after marking changes nothing', async () => {
    const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
    const psa = project();
    await ledger.recordContract(contract(psa));
    await ledger.recordWork(psa, time('t1', '2026-11-02'), '2026-11-10T00:00:00Z');
    const work = await ledger.workOf(psa);
    await ledger.saveDraft(psa, draftInvoice(contract(psa).terms, { start: '2026-11-01', end: '2026-11-30' }, work, work.history), 500);
    const posted = {
      id: '2001',
      invoiceNumber: 'INV000001',
      subtotal: { amountMinor: 120000, currency: 'USD' as const },
      tax: { amountMinor: 0, currency: 'USD' as const },
      total: { amountMinor: 120000, currency: 'USD' as const },
      postingDate: '2026-11-30',
    };

    await ledger.recordPosted(psa, '2026-11-01', posted);
    await ledger.markBilled(psa, '2026-11-01', ['t1']);
    await ledger.recordMarked(psa, '2026-11-01');
    await ledger.recordPosted(psa, '2026-11-01', { ...posted, invoiceNumber: 'OTHER' });

    expect(await ledger.invoiceOf(psa, '2026-11-01')).toMatchObject({ status: 'marked', posted: { invoiceNumber: 'INV000001' } });
  });

  it('counts a milestone’s first completion only, and lists every contract for the month-end run', async () => {
    const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
    const psa = project();
    await ledger.recordContract(contract(psa));

    const outcomes = [
      await ledger.recordMilestoneCompleted(psa, 'milestone:kantata-global:77', '2026-11-20'),
      await ledger.recordMilestoneCompleted(psa, 'milestone:kantata-global:77', '2026-12-02'),
    ];

    expect(outcomes).toEqual(['recorded', 'unchanged']);
    expect((await ledger.workOf(psa)).milestonesCompleted).toEqual(new Map([['milestone:kantata-global:77', '2026-11-20']]));
    expect(await ledger.contracts()).toContainEqual(psa);
  });
});
