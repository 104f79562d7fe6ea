import { describe, expect, it } from 'vitest';
import { compareVersions, isNewer, isSourceVersion } from '../../canonical/source-version';

describe('source versions', () => {
  it('tell apart commit numbers above 2^53 that a float would confuse', () => {
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));
    expect(compareVersions('9007199254740993', '9007199254740992')).toBe(1);
    expect(isNewer('9007199254740992', '9007199254740993')).toBe(false);
  });

  it('treat a replay of the same version as not newer, and anything as newer than nothing', () => {
    expect(isNewer('42', '42')).toBe(false);
    expect(isNewer('1', undefined)).toBe(true);
  });

  it('compare by value, not as text', () => {
    expect(compareVersions('10', '9')).toBe(1);
    expect(compareVersions('99999999999999999999999999999999999999', '100')).toBe(1);
  });

  it('refuse signs, leading zeros, decimals and more than 38 digits', () => {
    for (const bad of ['-1', '007', '1.5', '1e5', '', '1'.repeat(39)]) expect(isSourceVersion(bad)).toBe(false);
    expect(() => compareVersions('1', '01')).toThrow(/"01" is not a source version/);
  });
});
