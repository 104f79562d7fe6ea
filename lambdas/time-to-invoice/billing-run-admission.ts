/**
 * Admission of billing runs: at month end every contract's execution could start at once, but the
 * ERP takes a handful of calls at a time (NetSuite concurrency is shared by every integration of the
 * firm), so thousands of executions started together only queue in the vendor limiter and spend
 * their retries there. Starts are paced instead: a start waits in its queue while the region runs
 * its configured number of billing executions, and comes back later.
 */

/** Whether a billing run may start now, and if not, how long its start message should wait. */
export type Admission = { readonly admit: true } | { readonly admit: false; readonly retryAfterSeconds: number };

/**
 * Admits a start while fewer than `limit` billing executions run. A start turned away waits longer
 * the more often it already was (`deferrals`: 5 s, doubling, at most 30 s: executions end in seconds,
 * so a long wait leaves room unused), with full jitter so waiting starts do not return together, and at
 * least 2 s. `random` is in [0, 1).
 */
export function admitBillingRun(input: { running: number; limit: number; deferrals: number; random: number }): Admission {
  if (input.running < input.limit) return { admit: true };
  const ceiling = Math.min(30, 5 * 2 ** Math.min(Math.max(input.deferrals, 0), 5));
  return { admit: false, retryAfterSeconds: Math.max(2, Math.ceil(ceiling * input.random)) };
}
