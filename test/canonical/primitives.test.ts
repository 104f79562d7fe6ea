import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalString, formatMoney, Money, majorUnits, money, toMinorUnits } from '../../canonical/primitives';

describe('toMinorUnits', () => {
  it('rounds half to even, once, at the currency exponent', () => {
    expect(toMinorUnits(new Decimal('10.005'), 'USD')).toBe(1000);
    expect(toMinorUnits(new Decimal('10.015'), 'USD')).toBe(1002);
    expect(toMinorUnits(new Decimal('10.0151'), 'USD')).toBe(1002);
    expect(toMinorUnits(new Decimal('-10.005'), 'USD')).toBe(-1000);
  });

  it('uses each currency exponent: yen have none, dinars three', () => {
    expect(toMinorUnits(new Decimal('1234.5'), 'JPY')).toBe(1234);
    expect(toMinorUnits(new Decimal('1.2345'), 'BHD')).toBe(1234);
    expect(toMinorUnits(new Decimal('1.2355'), 'KWD')).toBe(1236);
  });

  it('computes 7.5 hours at 165.50 exactly where binary floats would not', () => {
    expect(money(new Decimal('7.5').times('165.50'), 'USD')).toEqual({ amountMinor: 124125, currency: 'USD' });
    expect(money(new Decimal('0.1').plus('0.2'), 'USD').amountMinor).toBe(30);
  });

  it('round-trips minor units through major units for any safe amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.constantFrom('USD', 'JPY', 'BHD') as fc.Arbitrary<'USD' | 'JPY' | 'BHD'>, (minor, currency) => {
        expect(money(majorUnits({ amountMinor: minor, currency }), currency).amountMinor).toBe(minor);
      }),
    );
  });
});

describe('Money and DecimalString', () => {
  it('refuse fractional minor units, unknown currencies and numbers where strings belong', () => {
    expect(Money.safeParse({ amountMinor: 10.5, currency: 'USD' }).success).toBe(false);
    expect(Money.safeParse({ amountMinor: 10, currency: 'XYZ' }).success).toBe(false);
    expect(Money.safeParse({ amountMinor: 2 ** 53, currency: 'USD' }).success).toBe(false);
    expect(DecimalString.safeParse(165.5).success).toBe(false);
    expect(DecimalString.safeParse('1e3').success).toBe(false);
    expect(DecimalString.safeParse('165.50').success).toBe(true);
  });
});

describe('formatMoney', () => {
  it("writes the currency's own minor digits, grouped, as the ops CLI and reports print it", () => {
    expect(formatMoney({ amountMinor: 12_500_000, currency: 'USD' })).toBe('USD 125,000.00');
    expect(formatMoney({ amountMinor: 5_000, currency: 'JPY' })).toBe('JPY 5,000');
    expect(formatMoney({ amountMinor: -123_456, currency: 'EUR' })).toBe('EUR -1,234.56');
  });
});
