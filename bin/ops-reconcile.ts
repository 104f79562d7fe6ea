import { formatMoney, type Money } from '../canonical/primitives';
import type { ReconciliationReport } from '../lambdas/ports/reconciliation-reports';

/** Sends one signed request to the ops API (bin/ops.ts). */
type Call = (
  method: 'GET' | 'POST',
  path: string,
  query?: Record<string, string>,
  body?: unknown,
) => Promise<{ status: number; answer: Record<string, unknown> }>;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const amount = (amountMinor: number, currency: string) => formatMoney({ amountMinor, currency } as Money);

/** A report as a table: the totals per kind, then each finding. */
export function formatReconciliation(report: ReconciliationReport): string {
  const parallel = report.compared.parallelErp === undefined ? '' : `, parallel-run ERP ${report.compared.parallelErp}`;
  const compared = `ledger ${report.compared.ledger}, ERP ${report.compared.erp}${parallel}, PSA ${report.compared.psa ?? 'not read'}, registry links ${report.compared.references}`;
  const head = `Reconciliation of ${report.legalEntityId} ${report.period} at ${report.ranAt} (tolerance ${report.tolerance.amountMinor} minor units, ${report.tolerance.days} days)\nCompared: ${compared}`;
  if (report.findings.length === 0) return `${head}\nNo findings.`;
  const totals = Object.entries(report.summary)
    .filter(([, s]) => s.count > 0)
    .map(([kind, s]) => [
      kind,
      String(s.count),
      Object.entries(s.moneyAtStake)
        .map(([c, m]) => amount(m, c))
        .join(', '),
    ]);
  const findings = report.findings.map((f) => [
    f.kind,
    f.status,
    amount(f.moneyAtStake.amountMinor, f.moneyAtStake.currency),
    `reconciliation/invoice/${f.entityId}`,
  ]);
  return `${head}\n\n${table(['KIND', 'COUNT', 'MONEY AT STAKE'], totals)}\n\n${table(['KIND', 'STATUS', 'MONEY AT STAKE', 'EXCEPTION'], findings)}`;
}

/** `reconcile run|report --legal-entity <id> --period <yyyy-mm>`: a run answered with its report, or the stored report. */
export async function runReconcileCommand(
  verb: string | undefined,
  options: { json: boolean; legalEntity?: string | undefined; period?: string | undefined },
  call: Call,
  refused: (status: number, answer: Record<string, unknown>) => { exitCode: number; output: string },
  usage: string,
): Promise<{ exitCode: number; output: string }> {
  if ((verb !== 'run' && verb !== 'report') || !options.legalEntity || !options.period) return { exitCode: 2, output: usage };
  const path = `ops/reconciliations/${encodeURIComponent(options.legalEntity)}/${encodeURIComponent(options.period)}`;
  const { status, answer } = await call(verb === 'run' ? 'POST' : 'GET', path);
  if (status !== 200) return refused(status, answer);
  const report = answer.report as ReconciliationReport;
  return { exitCode: 0, output: options.json ? JSON.stringify(report) : formatReconciliation(report) };
}
