import { describe, expect, it } from 'vitest';
import type { ExpenseApprovedEvent, MilestoneCompletedEvent, TimeApprovedEvent } from '../../../canonical';
import type { BusinessException } from '../../../lambdas/common/exceptions';
import type { BillingLedger, RecordWorkOutcome } from '../../../lambdas/ports/billing-ledger';
import { recordApprovedWork } from '../../../lambdas/time-to-invoice/record-approved-work';

const base = {
  schemaVersion: 1 as const,
  source: { vendor: 'kantata' as const, instance: 'kantata-main' },
  occurredAt: '2026-11-12T00:00:00Z',
  correlationId: 'c-1',
};
const project = { instance: 'kantata-main', id: 'p1' };

const time: TimeApprovedEvent = {
  ...base,
  id: '00000000-0000-4000-8000-000000000001',
  type: 'time.approved',
  payload: {
    entry: { instance: 'kantata-main', id: 't1' },
    project,
    resource: { instance: 'kantata-main', id: 'r1' },
    role: 'Consultant',
    workDate: '2026-11-10',
    hours: '8',
    billable: true,
    approvedAt: '2026-11-12T00:00:00Z',
  },
};
const expense: ExpenseApprovedEvent = {
  ...base,
  id: '00000000-0000-4000-8000-000000000002',
  type: 'expense.approved',
  payload: {
    expense: { instance: 'kantata-main', id: 'e1' },
    project,
    resource: { instance: 'kantata-main', id: 'r1' },
    incurredOn: '2026-11-09',
    category: 'Travel',
    amount: { amountMinor: 12000, currency: 'USD' },
    billable: true,
    approvedAt: '2026-11-12T00:00:00Z',
  },
};
const milestone: MilestoneCompletedEvent = {
  ...base,
  id: '00000000-0000-4000-8000-000000000003',
  type: 'milestone.completed',
  payload: { milestone: { instance: 'kantata-main', id: 'm1' }, project, completedOn: '2026-11-20' },
};

/** A ledger fake that answers one outcome and remembers what it was asked to record. */
function ledgerAnswering(outcome: RecordWorkOutcome) {
  const calls: unknown[][] = [];
  const ledger = {
    recordWork: async (...args: unknown[]) => (calls.push(['work', ...args]), outcome),
    recordMilestoneCompleted: async (...args: unknown[]) => (calls.push(['milestone', ...args]), outcome === 'recorded' ? 'recorded' : 'unchanged'),
  } as unknown as BillingLedger;
  return { ledger, calls };
}

describe('recording approved work', () => {
  it('records approved time under its project at the version it was approved at', async () => {
    const { ledger, calls } = ledgerAnswering('recorded');
    const exceptions: BusinessException[] = [];

    const result = await recordApprovedWork(time, { ledger, recordException: async (e) => void exceptions.push(e) });

    expect(result).toEqual({ kind: 'time', id: 't1', outcome: 'recorded' });
    expect(calls).toEqual([
      [
        'work',
        { instance: 'kantata-main', projectId: 'p1' },
        { kind: 'time', item: { id: 't1', workDate: '2026-11-10', role: 'Consultant', hours: '8', billable: true } },
        '2026-11-12T00:00:00Z',
      ],
    ]);
    expect(exceptions).toEqual([]);
  });

  it('records a milestone completion under its billing key', async () => {
    const { ledger, calls } = ledgerAnswering('recorded');

    const result = await recordApprovedWork(milestone, { ledger, recordException: async () => undefined });

    expect(result).toEqual({ kind: 'milestone', id: 'm1', outcome: 'recorded' });
    expect(calls).toEqual([['milestone', { instance: 'kantata-main', projectId: 'p1' }, 'milestone:kantata-main:m1', '2026-11-20']]);
  });

  it('turns a change to work already billed into an exception for a person, with the remediation of the table', async () => {
    const { ledger } = ledgerAnswering('changed-after-billing');
    const exceptions: BusinessException[] = [];

    const result = await recordApprovedWork(expense, { ledger, recordException: async (e) => void exceptions.push(e) });

    expect(result.outcome).toBe('changed-after-billing');
    expect(exceptions).toEqual([
      expect.objectContaining({
        workflow: 'time-to-invoice',
        entityType: 'expense',
        entityId: 'kantata-main:e1',
        remediation: expect.stringMatching(/credit note or an adjustment in the ERP/),
        correlationId: 'c-1',
      }),
    ]);
  });
});
