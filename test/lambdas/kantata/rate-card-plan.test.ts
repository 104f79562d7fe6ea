import { describe, expect, it } from 'vitest';
import type { RateCardLine } from '../../../canonical';
import { planKantataRateCard } from '../../../lambdas/kantata/rate-card-plan';

const plain = (plan: ReturnType<typeof planKantataRateCard>) => plan.map((v) => [v.effectiveDate, Object.fromEntries(v.ratesInMinorUnits)]);

describe('planKantataRateCard', () => {
  it('cuts a version where a rate changes, in cents per hour', () => {
    const lines: RateCardLine[] = [
      { role: 'Principal', hourlyRate: '275.00', effectiveFrom: '2026-11-01' },
      { role: 'Consultant', hourlyRate: '165.50', effectiveFrom: '2026-11-01', effectiveTo: '2027-03-31' },
      { role: 'Consultant', hourlyRate: '172', effectiveFrom: '2027-04-01' },
    ];

    expect(plain(planKantataRateCard(lines, 'USD'))).toEqual([
      ['2026-11-01', { Principal: 27500, Consultant: 16550 }],
      ['2027-04-01', { Principal: 27500, Consultant: 17200 }],
    ]);
  });

  it('drops a role from the version after its last day when nothing replaces it', () => {
    const lines: RateCardLine[] = [
      { role: 'Analyst', hourlyRate: '90', effectiveFrom: '2026-01-01', effectiveTo: '2026-06-30' },
      { role: 'Principal', hourlyRate: '300', effectiveFrom: '2026-03-01' },
    ];

    expect(plain(planKantataRateCard(lines, 'EUR'))).toEqual([
      ['2026-01-01', { Analyst: 9000 }],
      ['2026-03-01', { Analyst: 9000, Principal: 30000 }],
      ['2026-07-01', { Principal: 30000 }],
    ]);
  });

  it('uses the currency’s own minor unit: yen have none', () => {
    expect(plain(planKantataRateCard([{ role: 'Consultant', hourlyRate: '18000', effectiveFrom: '2026-01-01' }], 'JPY'))).toEqual([
      ['2026-01-01', { Consultant: 18000 }],
    ]);
  });

  it('refuses a rate finer than the minor unit, naming the role', () => {
    expect(() => planKantataRateCard([{ role: 'Consultant', hourlyRate: '165.505', effectiveFrom: '2026-01-01' }], 'USD')).toThrow(
      /Consultant at 165\.505 USD .* round the contract rate/,
    );
    expect(() => planKantataRateCard([{ role: 'Consultant', hourlyRate: '18000.5', effectiveFrom: '2026-01-01' }], 'JPY')).toThrow(
      /finer than Kantata's JPY minor unit/,
    );
  });

  it('refuses two rates for one role on the same day, and a line that ends before it starts', () => {
    expect(() =>
      planKantataRateCard(
        [
          { role: 'Consultant', hourlyRate: '150', effectiveFrom: '2026-01-01' },
          { role: 'Consultant', hourlyRate: '160', effectiveFrom: '2026-06-01' },
        ],
        'USD',
      ),
    ).toThrow(/two Consultant rates are in force on 2026-06-01/);
    expect(() => planKantataRateCard([{ role: 'Consultant', hourlyRate: '150', effectiveFrom: '2026-02-01', effectiveTo: '2026-01-31' }], 'USD')).toThrow(
      /ends \(2026-01-31\) before it starts/,
    );
  });

  it('plans nothing for an empty rate card', () => {
    expect(planKantataRateCard([], 'USD')).toEqual([]);
  });
});
