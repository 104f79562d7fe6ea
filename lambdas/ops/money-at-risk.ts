import type { InboxEntry } from './exception-inbox';

/** What is open in one workflow and legal entity, and what it holds up. */
export interface OpenGroup {
  readonly workflow: string;
  /** `-` when the exception names none (an intake's refusal). */
  readonly legalEntityId: string;
  readonly open: number;
  /** Money at stake by currency, in minor units. */
  readonly moneyAtStake: Readonly<Record<string, number>>;
}

/** The money-at-risk figures of an inbox: per workflow and legal entity, and the age of each workflow's oldest open exception. */
export interface MoneyAtRisk {
  readonly groups: readonly OpenGroup[];
  /** Minutes since the oldest open exception was first seen, per workflow; 0 with none open. */
  readonly oldestOpenMinutes: Readonly<Record<string, number>>;
}

/** Sums the open (and retrying) exceptions; every workflow in `workflows` gets an age, 0 when nothing is open. */
export function moneyAtRisk(entries: readonly InboxEntry[], workflows: readonly string[], now: Date): MoneyAtRisk {
  const groups = new Map<string, { workflow: string; legalEntityId: string; open: number; moneyAtStake: Record<string, number> }>();
  const oldest: Record<string, number> = Object.fromEntries(workflows.map((w) => [w, 0]));
  for (const e of entries) {
    const legalEntityId = e.legalEntityId ?? '-';
    const key = `${e.workflow}\u0000${legalEntityId}`;
    const group = groups.get(key) ?? { workflow: e.workflow, legalEntityId, open: 0, moneyAtStake: {} };
    group.open += 1;
    if (e.moneyAtStake) group.moneyAtStake[e.moneyAtStake.currency] = (group.moneyAtStake[e.moneyAtStake.currency] ?? 0) + e.moneyAtStake.amountMinor;
    groups.set(key, group);
    const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(e.firstSeenAt)) / 60_000));
    oldest[e.workflow] = Math.max(oldest[e.workflow] ?? 0, minutes);
  }
  return { groups: [...groups.values()], oldestOpenMinutes: oldest };
}
