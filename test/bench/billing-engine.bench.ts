import type { BillingContract, TimeEntryToBill } from '../../lambdas/ports/billing-values';
import { draftInvoice } from '../../lambdas/time-to-invoice/billing-engine';

// npm run bench (billing part): a month-end run of 100,000 entries across 2,000 contracts through
// the billing engine alone. Figures are printed, never asserted.
const CONTRACTS = 2_000;
const ENTRIES = 100_000;
const roles = ['Principal', 'Manager', 'Consultant', 'Analyst'];

function contract(i: number): BillingContract {
  return {
    contractId: `c-${i}`,
    currency: 'USD',
    model: 'time-and-materials',
    rateCard: roles.flatMap((role, r) => [
      { role, hourlyRate: `${300 - r * 50}.00`, effectiveFrom: '2026-01-01', effectiveTo: '2026-11-15' },
      { role, hourlyRate: `${310 - r * 50}.50`, effectiveFrom: '2026-11-16' },
    ]),
    ...(i % 5 === 0 ? { notToExceed: { amountMinor: 5_000_000, currency: 'USD' as const } } : {}),
    expenseMarkupPercent: '10',
    milestones: [],
  };
}

function entries(): Map<string, TimeEntryToBill[]> {
  const byContract = new Map<string, TimeEntryToBill[]>();
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < ENTRIES; i++) {
    const c = `c-${i % CONTRACTS}`;
    const list = byContract.get(c) ?? [];
    list.push({
      id: `e-${i}`,
      workDate: `2026-11-${String(1 + Math.floor(random() * 30)).padStart(2, '0')}`,
      role: roles[Math.floor(random() * roles.length)]!,
      hours: String(Math.floor(random() * 32 + 1) / 4),
      billable: random() > 0.1,
    });
    byContract.set(c, list);
  }
  return byContract;
}

function main(): void {
  const work = entries();
  const contracts = Array.from({ length: CONTRACTS }, (_, i) => contract(i));
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  let lines = 0;
  let totalMinor = 0;
  const started = process.hrtime.bigint();
  for (const c of contracts) {
    const draft = draftInvoice(
      c,
      { start: '2026-11-01', end: '2026-11-30' },
      { time: work.get(c.contractId) ?? [], expenses: [] },
      { billedIds: new Set(), timeBilledMinor: 0 },
    );
    lines += draft.lines.length;
    totalMinor += draft.total.amountMinor;
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(
    `Billing engine, month-end: ${ENTRIES.toLocaleString('en')} entries across ${CONTRACTS.toLocaleString('en')} contracts in ${seconds.toFixed(2)} s = ${Math.round(ENTRIES / seconds).toLocaleString('en')} entries/s; ${lines} invoice lines, $${(totalMinor / 100).toLocaleString('en')} billed; peak heap ${mib(peakHeap)} MiB (+${mib(peakHeap - baseline.heapUsed)} over the loaded input), peak RSS ${mib(peakRss)} MiB`,
  );
}

main();
