import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../../lambdas/ops/exception-inbox';
import { moneyAtRisk } from '../../../lambdas/ops/money-at-risk';

const entry = (workflow: string, legalEntityId: string | undefined, firstSeenAt: string, stake?: [string, number]): InboxEntry => ({
  ref: `${workflow}/x/${firstSeenAt}`,
  workflow,
  entityType: 'x',
  entityId: firstSeenAt,
  state: 'open',
  ownerTeam: 'finance',
  ...(legalEntityId ? { legalEntityId } : {}),
  ...(stake ? { moneyAtStake: { currency: stake[0], amountMinor: stake[1] } } : {}),
  reason: 'r',
  remediation: 'm',
  occurrences: 1,
  firstSeenAt,
  lastSeenAt: firstSeenAt,
});

describe('money at risk', () => {
  it('sums open exceptions and their stake per workflow, legal entity and currency, and ages the oldest per workflow', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const figures = moneyAtRisk(
      [
        entry('opportunity-to-project', 'acme-us', '2026-12-03T11:00:00Z', ['USD', 12_500_000]),
        entry('opportunity-to-project', 'acme-us', '2026-12-03T09:30:00Z', ['USD', 100]),
        entry('opportunity-to-project', 'acme-uk', '2026-12-03T11:59:00Z', ['GBP', 5_000]),
        entry('time-to-invoice', undefined, '2026-12-02T12:00:00Z'),
      ],
      ['opportunity-to-project', 'time-to-invoice', 'invoice-payment-status'],
      now,
    );

    expect(figures.groups).toEqual([
      { workflow: 'opportunity-to-project', legalEntityId: 'acme-us', open: 2, moneyAtStake: { USD: 12_500_100 } },
      { workflow: 'opportunity-to-project', legalEntityId: 'acme-uk', open: 1, moneyAtStake: { GBP: 5_000 } },
      { workflow: 'time-to-invoice', legalEntityId: '-', open: 1, moneyAtStake: {} },
    ]);
    expect(figures.oldestOpenMinutes).toEqual({ 'opportunity-to-project': 150, 'time-to-invoice': 1440, 'invoice-payment-status': 0 });
  });
});
