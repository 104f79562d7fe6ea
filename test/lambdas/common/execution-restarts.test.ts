import { describe, expect, it } from 'vitest';
import { originalExecutionName, restartExecutionName, sameRun } from '../../../lambdas/common/execution-restarts';

const original = 'hubspot-main-18274650231-r1';

describe('the names of restarts', () => {
  it('name a restart after the execution it carries on, cut to 80 characters', () => {
    expect(restartExecutionName(original, 1)).toBe(`${original}-ops1`);
    expect(restartExecutionName(`${original}-ops1`, 2)).toBe(`${original}-ops2`);
    const long = 'x'.repeat(78);
    expect(restartExecutionName(long, 12)).toBe(`${'x'.repeat(74)}-ops12`);
    expect(originalExecutionName(`${original}-ops12`)).toBe(original);
  });

  it('count an execution and its restarts as one run, and nothing else', () => {
    expect(sameRun(original, original)).toBe(true);
    expect(sameRun(original, `${original}-ops1`)).toBe(true);
    expect(sameRun(`${original}-ops2`, `${original}-ops1`)).toBe(true);
    expect(sameRun(original, 'hubspot-main-18274650231-r2')).toBe(false);
    expect(sameRun(original, 'hubspot-main-18274650231-r10-ops1')).toBe(false);
    expect(sameRun(`${original}-ops1`, 'hubspot-main-18274650231-r2-ops1')).toBe(false);
  });
});
