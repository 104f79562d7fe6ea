import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_OVERLAP_MS,
  FIRST_RUN_LOOKBACK_MS,
  type ReconciliationRunDependencies,
  reconcileDeals,
  runReconciliation,
  type WonDeal,
} from '../../../lambdas/salesforce/reconcile-deals';

const NOW = new Date('2026-12-01T12:00:00Z');
const deal = (id: string, legalEntityId: string | undefined, closedAt: string): WonDeal => ({ id, legalEntityId, closedAt });

function fakes(deals: WonDeal[], known: string[], checkpoint?: Date, failOn?: string) {
  const saved: Date[] = [];
  const republished: string[] = [];
  const asked: Date[] = [];
  const deps: ReconciliationRunDependencies = {
    loadCheckpoint: async () => checkpoint,
    saveCheckpoint: async (at) => void saved.push(at),
    wonDealsSince: async (since) => (asked.push(since), deals.filter((d) => Date.parse(d.closedAt) >= since.getTime())),
    known: async (id) => known.includes(id),
    republish: async (id) => {
      if (id === failOn) throw new Error('throttled');
      republished.push(id);
      return 'published';
    },
    now: () => NOW,
  };
  return { deps, saved, republished, asked };
}

describe('runReconciliation', () => {
  it('republishes the won deals the registry does not know, reports by legal entity and advances the checkpoint', async () => {
    const f = fakes(
      [deal('006A', 'acme-us', '2026-12-01T10:00:00Z'), deal('006B', 'acme-us', '2026-12-01T11:00:00Z'), deal('006C', undefined, '2026-12-01T11:30:00Z')],
      ['006A'],
      new Date('2026-12-01T09:00:00Z'),
    );

    const report = await runReconciliation(f.deps);

    expect(f.republished).toEqual(['006B', '006C']);
    expect(report).toMatchObject({
      checked: 3,
      republished: 2,
      byLegalEntity: { 'acme-us': { checked: 2, missing: 1 }, '(none)': { checked: 1, missing: 1 } },
    });
    expect(f.saved).toEqual([new Date('2026-12-01T11:30:00Z')]);
  });

  it('reads from an hour before the checkpoint, and a week back on the first run', async () => {
    const checkpoint = new Date('2026-12-01T09:00:00Z');
    const later = fakes([], [], checkpoint);
    const first = fakes([], []);

    await runReconciliation(later.deps);
    await runReconciliation(first.deps);

    expect(later.asked).toEqual([new Date(checkpoint.getTime() - CHECKPOINT_OVERLAP_MS)]);
    expect(first.asked).toEqual([new Date(NOW.getTime() - FIRST_RUN_LOOKBACK_MS)]);
    expect([...later.saved, ...first.saved]).toEqual([]);
  });

  it('keeps the checkpoint when a republish fails, so the next run repeats the window instead of skipping it', async () => {
    const f = fakes(
      [deal('006A', 'acme-us', '2026-12-01T10:00:00Z'), deal('006B', 'acme-us', '2026-12-01T11:00:00Z')],
      [],
      new Date('2026-12-01T09:00:00Z'),
      '006B',
    );

    await expect(runReconciliation(f.deps)).rejects.toThrow('throttled');
    expect(f.saved).toEqual([]);
  });
});

describe('reconcileDeals', () => {
  it('finds won deals the registry never saw, reports them by legal entity, and moves the checkpoint to the newest close', async () => {
    const registered = new Set(['006A', '006C']);

    const report = await reconcileDeals(
      [
        { id: '006A', legalEntityId: 'acme-us', closedAt: '2026-11-20T10:00:00Z' },
        { id: '006B', legalEntityId: 'acme-us', closedAt: '2026-11-21T10:00:00Z' },
        { id: '006C', legalEntityId: 'acme-de', closedAt: '2026-11-22T10:00:00Z' },
        { id: '006D', legalEntityId: undefined, closedAt: '2026-11-19T10:00:00Z' },
      ],
      async (id) => registered.has(id),
    );

    expect(report.missing.map((d) => d.id)).toEqual(['006B', '006D']);
    expect(report.byLegalEntity).toEqual({
      'acme-us': { checked: 2, missing: 1 },
      'acme-de': { checked: 1, missing: 0 },
      '(none)': { checked: 1, missing: 1 },
    });
    expect(report.nextCheckpoint).toBe('2026-11-22T10:00:00Z');
  });
});
