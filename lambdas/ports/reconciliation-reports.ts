import type { Money } from '../../canonical';

/**
 * The reconciliation report of one legal entity and period (docs/operations.md#reconciliation): what
 * was compared, each finding with its money at stake and whether it was repaired, and the totals per
 * kind. Kept by `lambdas/dynamodb/reconciliation-reports.ts`; the latest run of a period replaces the one before.
 */
export interface ReconciliationReport {
  readonly legalEntityId: string;
  /** `yyyy-mm`. */
  readonly period: string;
  readonly ranAt: string;
  readonly tolerance: { readonly amountMinor: number; readonly days: number };
  /**
   * How many records of each source were compared; `psa` is absent when the PSA could not be read,
   * `parallelErp` when the legal entity names no parallel-run ERP.
   */
  readonly compared: { readonly ledger: number; readonly erp: number; readonly psa?: number; readonly parallelErp?: number; readonly references: number };
  readonly findings: readonly ReportedFinding[];
  /** Count and money at stake (minor units per currency) of each kind of finding. */
  readonly summary: Readonly<Record<string, { readonly count: number; readonly moneyAtStake: Readonly<Record<string, number>> }>>;
}

/** A finding as reported: `repaired` once the run put it right, `exception` when it is in the inbox. */
export interface ReportedFinding {
  readonly kind: string;
  readonly entityId: string;
  readonly externalId: string;
  readonly moneyAtStake: Money;
  readonly detail: string;
  readonly status: 'repaired' | 'exception';
  readonly erp?: { readonly instance: string; readonly id: string };
  readonly psa?: { readonly instance: string; readonly id: string };
  readonly parallelErp?: { readonly instance: string; readonly id: string };
}

/** Where reports are kept. */
export interface ReconciliationReports {
  save(report: ReconciliationReport): Promise<void>;
  load(legalEntityId: string, period: string): Promise<ReconciliationReport | undefined>;
}
