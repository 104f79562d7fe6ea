import { describe, expect, it } from 'vitest';
import { compareVersions, isNewer, isSourceVersion, sourceVersion } from '../../canonical/source-version';

describe('source versions', () => {
  it('tell apart Salesforce commit numbers above 2^53 that a float would confuse', () => {
    // Prepare: the two values are one float.
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));

    // Act and assess
    expect(compareVersions('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareVersions('9007199254740992', '9007199254740993')).toBe(-1);
    expect(isNewer('9007199254740993', '9007199254740992')).toBe(true);
    expect(isNewer('9007199254740992', '9007199254740993')).toBe(false);
  });

  it('order 20-digit commit numbers that differ only in the last digit', () => {
    expect(isNewer('18446744073709551617', '18446744073709551616')).toBe(true);
    expect(isNewer('18446744073709551616', '18446744073709551617')).toBe(false);
  });

  it('treat a replay of the same version as not newer, and any version as newer than nothing', () => {
    expect(isNewer('42', '42')).toBe(false);
    expect(compareVersions('18446744073709551617', '18446744073709551617')).toBe(0);
    expect(isNewer('0', undefined)).toBe(true);
  });

  it('compare by value, not as text', () => {
    expect(compareVersions('10', '9')).toBe(1);
    expect(isNewer('10', '9')).toBe(true);
    expect(compareVersions('99999999999999999999999999999999999999', '100')).toBe(1);
  });

  it('accept zero and 38 digits, the most a DynamoDB Number holds', () => {
    expect(isSourceVersion('0')).toBe(true);
    expect(sourceVersion('9'.repeat(38))).toBe('9'.repeat(38));
  });

  it('refuse signs, leading zeros, decimals, exponents, non-strings and more than 38 digits', () => {
    for (const bad of ['-1', '+1', '007', '1.5', '1e5', ' 1', '', '1'.repeat(39), 12, 12n, undefined]) expect(isSourceVersion(bad), String(bad)).toBe(false);
    expect(() => compareVersions('1', '01')).toThrow(/"01" is not a source version/);
  });

  it('refuse an invalid candidate even when nothing is stored yet', () => {
    expect(() => isNewer('1.5', undefined)).toThrow(RangeError);
  });
});
