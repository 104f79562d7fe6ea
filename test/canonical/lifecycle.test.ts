import { describe, expect, it } from 'vitest';
import { EntityType } from '../../canonical/entity-types';
import { LIFECYCLE_RULES } from '../../canonical/lifecycle';

describe('lifecycle rules', () => {
  it('name a creator, duplicate keys and merge and deactivate rules for every entity', () => {
    expect(Object.keys(LIFECYCLE_RULES).sort()).toEqual([...EntityType.options].sort());
    for (const rule of Object.values(LIFECYCLE_RULES)) expect(rule.duplicateKeys.length).toBeGreaterThan(0);
  });

  it('never allow merging or deactivating money records, whose history is the audit', () => {
    for (const type of ['invoice', 'payment-status', 'time-entry', 'expense-item'] as const) {
      expect(LIFECYCLE_RULES[type]).toMatchObject({ merge: { allowed: false }, deactivate: 'not-allowed' });
    }
  });
});
