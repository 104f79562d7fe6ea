/**
 * EventBridge Scheduler stand-in: each schedule fires on its `rate(...)` expression (or when told
 * to), delivering its fixed message to its target with the target's retry policy, then to its
 * dead-letter queue, as Scheduler does. `cron(...)` schedules fire only when told to: the local stack
 * runs for minutes, not for a cron period.
 */

/** A schedule and where it delivers. */
export interface LocalSchedule {
  readonly name: string;
  readonly expression: string;
  readonly message: unknown;
  readonly deliver: (message: unknown) => Promise<void>;
  /** @default 185, Scheduler's default */
  readonly retryAttempts?: number;
  readonly deadLetter: (message: unknown, reason: string) => Promise<void>;
}

const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** The period of a `rate(value unit)` expression in ms, or undefined for `cron(...)`; throws on anything else. */
export function ratePeriodMs(expression: string): number | undefined {
  if (/^cron\(.+\)$/.test(expression)) return undefined;
  const m = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  // Scheduler wants the singular unit for 1 and the plural otherwise: rate(1 hour), rate(5 minutes).
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1) === m[2]!.endsWith('s'))
    throw new Error(`Scheduler cannot read ${expression}: expected rate(<n> <unit>) or cron(...)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Starts the stand-in. */
export function startScheduler(options: {
  readonly schedules: readonly LocalSchedule[];
  readonly retryDelayMs?: number;
  /** Rate schedules fire only when told to, as if disabled in the console (a benchmark measures one run, not a run and a poll). @default false */
  readonly paused?: boolean;
}) {
  const firings: Promise<void>[] = [];
  const fire = (schedule: LocalSchedule) => {
    const run = (async () => {
      const attempts = 1 + (schedule.retryAttempts ?? 185);
      let lastError = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await schedule.deliver(schedule.message);
          return;
        } catch (error) {
          lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          if (attempt < attempts) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 1000));
        }
      }
      await schedule.deadLetter(schedule.message, lastError);
    })();
    firings.push(run);
    return run;
  };
  const timers = (options.paused ? [] : options.schedules).flatMap((schedule) => {
    const period = ratePeriodMs(schedule.expression);
    return period === undefined ? [] : [setInterval(() => void fire(schedule), period).unref()];
  });
  return {
    names: options.schedules.map((s) => s.name),
    /** Fires a schedule now, as its next period would. */
    async fire(name: string): Promise<void> {
      const schedule = options.schedules.find((s) => s.name === name);
      if (schedule === undefined) throw new Error(`No schedule ${name}`);
      await fire(schedule);
    },
    async settled(): Promise<void> {
      await Promise.all(firings);
    },
    close(): void {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
