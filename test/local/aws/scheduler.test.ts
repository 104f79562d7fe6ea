import { describe, expect, it } from 'vitest';
import { ratePeriodMs, startScheduler } from '../../../local/aws/scheduler';

describe('Scheduler stand-in', () => {
  it('reads rate expressions as Scheduler does, and leaves cron to be fired by hand', () => {
    expect([ratePeriodMs('rate(1 hour)'), ratePeriodMs('rate(5 minutes)'), ratePeriodMs('rate(2 days)'), ratePeriodMs('cron(0 2 * * ? *)')]).toEqual([
      3_600_000,
      300_000,
      172_800_000,
      undefined,
    ]);
    for (const bad of ['rate(1 hours)', 'rate(5 minute)', 'rate(0 hours)', 'every hour']) expect(() => ratePeriodMs(bad), bad).toThrow(/cannot read/);
  });

  it('delivers the schedule’s message, retrying, then to its dead-letter queue with the reason', async () => {
    const delivered: unknown[] = [];
    const dead: [unknown, string][] = [];
    let failures = 2;
    const scheduler = startScheduler({
      retryDelayMs: 1,
      schedules: [
        {
          name: 'flaky',
          expression: 'cron(0 * * * ? *)',
          message: { n: 1 },
          retryAttempts: 3,
          deliver: async (m) => (failures-- > 0 ? Promise.reject(new Error('queue unavailable')) : void delivered.push(m)),
          deadLetter: async (m, r) => void dead.push([m, r]),
        },
        {
          name: 'broken',
          expression: 'cron(0 * * * ? *)',
          message: { n: 2 },
          retryAttempts: 1,
          deliver: async () => Promise.reject(new Error('access denied')),
          deadLetter: async (m, r) => void dead.push([m, r]),
        },
      ],
    });

    await scheduler.fire('flaky');
    await scheduler.fire('broken');
    scheduler.close();

    expect(delivered).toEqual([{ n: 1 }]);
    expect(dead).toEqual([[{ n: 2 }, 'Error: access denied']]);
  });
});
