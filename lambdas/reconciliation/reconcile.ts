import { roleOf, type Vendor } from '../../canonical/systems';
import { invoiceExternalId, invoiceGlobalId, ourInvoiceGlobalId } from '../common/billing-keys';
import type { SystemLink } from '../common/cross-reference/registry';
import type { ExceptionRecorder } from '../common/exceptions';
import { type BillingLedger, type ContractRecord, psaInvoiceOf } from '../ports/billing-ledger';
import type { InvoiceReadPort } from '../ports/erp';
import type { PsaBillingPort, PsaInvoiceReadPort } from '../ports/psa';
import type { ReconciliationReport, ReconciliationReports, ReportedFinding } from '../ports/reconciliation-reports';
import {
  compareBilling,
  compareParallelRun,
  type ErpInvoiceRecord,
  type Finding,
  type InvoiceReference,
  type LedgerPostedInvoice,
  type PsaInvoiceRecord,
  type ReconciliationTolerance,
  summarize,
} from './compare';

/** The workflow id exceptions are recorded under. */
export const RECONCILIATION_WORKFLOW = 'reconciliation';

/** What a run needs: the ledger, the systems' read ports, the PSA's billing port for repairs, the registry, the inbox, the report store. */
export interface ReconcileDependencies {
  readonly ledger: BillingLedger;
  readonly erpFor: (instance: string) => InvoiceReadPort;
  /** The PSA's invoice reads, or undefined when the instance's adapter cannot list invoices (then the PSA is not compared). */
  readonly psaReadFor: (instance: string) => PsaInvoiceReadPort | undefined;
  readonly psaBillingFor: (instance: string) => PsaBillingPort;
  readonly linksOf: (globalId: string) => Promise<SystemLink[]>;
  readonly vendorOf: (instance: string) => Vendor;
  readonly exceptions: ExceptionRecorder;
  readonly reports: ReconciliationReports;
  readonly tolerance: ReconciliationTolerance;
  readonly now: () => Date;
}

/** One legal entity and month to reconcile, with the instances it uses. */
export interface ReconcileRequest {
  readonly legalEntity: {
    readonly id: string;
    readonly instances: { readonly erp?: string | undefined; readonly psa?: string | undefined };
    /** A migration wave's parallel-run ERP, compared with the primary's invoices. */
    readonly parallelRun?: { readonly erp: string } | undefined;
  };
  /** `yyyy-mm`. */
  readonly period: string;
  readonly correlationId: string;
  /** The entity's contracts in the ledger ({@link contractsByLegalEntity}), read once for a run's months. */
  readonly contracts: readonly ContractRecord[];
}

/** The first and last day of a month (`yyyy-mm`). */
export function periodRange(period: string): { from: string; to: string } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new Error(`${period} is not a month (yyyy-mm)`);
  const [year, month] = period.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { from: `${period}-01`, to: `${period}-${String(last).padStart(2, '0')}` };
}

/** The months a scheduled run reconciles: the one before `now` and the current one (UTC). */
export function scheduledPeriods(now: Date): string[] {
  const month = (d: Date) => d.toISOString().slice(0, 7);
  return [month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))), month(now)];
}

/** A day `days` after (or before) a `yyyy-mm-dd`. */
function shiftDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The month (`yyyy-mm`) an invoice bills: its external id is `<contract>:<period start>`. */
function periodOfExternalId(externalId: string): string {
  return externalId.slice(externalId.lastIndexOf(':') + 1, externalId.lastIndexOf(':') + 8);
}

/** The finding of a parallel-run ERP that could not be read: the period's primary invoices are unverified. */
function unreadableParallelErp(instance: string, primary: readonly ErpInvoiceRecord[], error: unknown): Finding {
  const currency = primary[0]?.total.currency ?? 'USD';
  const amountMinor = primary.filter((i) => i.total.currency === currency).reduce((sum, i) => sum + i.total.amountMinor, 0);
  const why = error instanceof Error ? error.name : 'Error';
  return {
    kind: 'parallel-erp-unreadable',
    entityId: `parallel-erp-unreadable:${instance}`,
    externalId: instance,
    moneyAtStake: { amountMinor, currency },
    detail: `the parallel-run ERP ${instance} could not be read (${why}); ${primary.length} invoice(s) of the period are not compared`,
    repairable: false,
  };
}

/**
 * The contracts the ledger holds, by legal entity: one read of every contract, which a scheduled run
 * shares between its legal entities, their two months and the unbilled value.
 */
export async function contractsByLegalEntity(ledger: Pick<BillingLedger, 'contracts' | 'contractOf'>): Promise<Map<string, ContractRecord[]>> {
  const byEntity = new Map<string, ContractRecord[]>();
  for (const psa of await ledger.contracts()) {
    const contract = await ledger.contractOf(psa);
    if (contract !== undefined) byEntity.set(contract.legalEntityId, [...(byEntity.get(contract.legalEntityId) ?? []), contract]);
  }
  return byEntity;
}

/**
 * Reconciles one legal entity and month: reads the ledger's posted invoices, the ERP's and the PSA's
 * invoices of the month and the registry's links of them, compares them, records an invoice the PSA
 * lacks from the ledger (once: the PSA port finds an invoice it already recorded), records every other
 * finding as an exception (one per finding, refreshed by a re-run), resolves the exceptions of findings
 * that are gone, and stores the report.
 */
export async function reconcileBilling(request: ReconcileRequest, deps: ReconcileDependencies): Promise<ReconciliationReport> {
  const { from, to } = periodRange(request.period);
  const entityId = request.legalEntity.id;
  const { contracts } = request;
  const byExternalId = new Map(contracts.map((c) => [invoiceExternalId(c.terms.contractId, from), c]));
  const byGlobalId = new Map([...byExternalId.keys()].map((k) => [invoiceGlobalId(k), k]));
  const contractIds = new Set(contracts.map((c) => c.terms.contractId));

  const ledger: LedgerPostedInvoice[] = [];
  for (const [externalId, contract] of byExternalId) {
    const invoice = await deps.ledger.invoiceOf(contract.psa, from);
    if (!invoice?.posted) continue;
    ledger.push({
      externalId,
      erpInstance: contract.erp.instance,
      erpId: invoice.posted.id,
      invoiceNumber: invoice.posted.invoiceNumber,
      total: invoice.posted.total,
      postingDate: invoice.posted.postingDate,
    });
  }

  // The ERP: every instance the entity's contracts post to. Another entity's invoices on a shared account are not ours to compare.
  const erpInstances = [
    ...new Set([...contracts.map((c) => c.erp.instance), ...(request.legalEntity.instances.erp ? [request.legalEntity.instances.erp] : [])]),
  ];
  // With a parallel run both ERPs are read a month either side, and an invoice belongs to the month of its
  // external id's period start: a date the migration shifted is a date mismatch, not an invoice missing in
  // one month's report and extra in the next.
  const parallelInstance = request.legalEntity.parallelRun?.erp;
  const window = parallelInstance === undefined ? { from, to } : { from: shiftDays(from, -31), to: shiftDays(to, 31) };
  const invoicesOfEntity = async (instance: string): Promise<ErpInvoiceRecord[]> => {
    const records: ErpInvoiceRecord[] = [];
    for (const i of await deps.erpFor(instance).invoicesDatedIn(window.from, window.to)) {
      const known = byGlobalId.get(ourInvoiceGlobalId(i.reference) ?? '');
      const contractOfReference = i.reference.includes(':') ? i.reference.slice(0, i.reference.lastIndexOf(':')) : undefined;
      if (known === undefined && (contractOfReference === undefined || !contractIds.has(contractOfReference))) continue;
      records.push({ instance, id: i.id, externalId: known ?? i.reference, invoiceNumber: i.invoiceNumber, total: i.total, date: i.date });
    }
    return records;
  };
  const read = new Map<string, ErpInvoiceRecord[]>();
  for (const instance of erpInstances) read.set(instance, await invoicesOfEntity(instance));
  const erp = [...read.values()].flat().filter((i) => i.date >= from && i.date <= to);
  // A migration wave's parallel run: the same filter on the ERP the entity is moving to. One that cannot be
  // read is a finding of its own; the rest of the reconciliation goes on.
  let parallel: ErpInvoiceRecord[] | undefined;
  let parallelUnreadable: Finding | undefined;
  const ofPeriod = (i: ErpInvoiceRecord) => periodOfExternalId(i.externalId) === request.period;
  const primaryOfPeriod = [...read.entries()].filter(([instance]) => instance !== parallelInstance).flatMap(([, invoices]) => invoices.filter(ofPeriod));
  if (parallelInstance !== undefined) {
    try {
      parallel = (read.get(parallelInstance) ?? (await invoicesOfEntity(parallelInstance))).filter(ofPeriod);
    } catch (error) {
      parallelUnreadable = unreadableParallelErp(parallelInstance, primaryOfPeriod, error);
    }
  }

  // The PSA: the entity's projects in its PSA instance.
  const psaInstance = request.legalEntity.instances.psa;
  const psaReader = psaInstance === undefined ? undefined : deps.psaReadFor(psaInstance);
  const psa: PsaInvoiceRecord[] = [];
  if (psaInstance !== undefined && psaReader !== undefined) {
    const projects = contracts.filter((c) => c.psa.instance === psaInstance).map((c) => c.psa.projectId);
    for (const i of await psaReader.invoicesOf(projects, from, to))
      psa.push({
        instance: psaInstance,
        id: i.id,
        externalId: i.externalId,
        ...(i.invoiceNumber ? { invoiceNumber: i.invoiceNumber } : {}),
        ...(i.total ? { total: i.total } : {}),
        ...(i.date ? { date: i.date } : {}),
      });
  }

  const references: InvoiceReference[] = [];
  const keys = new Set([...ledger.map((l) => l.externalId), ...erp.map((e) => e.externalId), ...psa.map((p) => p.externalId)]);
  for (const externalId of [...keys].sort()) {
    for (const link of await deps.linksOf(invoiceGlobalId(externalId))) {
      const role = roleOf(link.system.vendor);
      if (link.entityType !== 'invoice' || (role !== 'erp' && role !== 'psa')) continue;
      if (role === 'psa' && psaReader === undefined) continue;
      references.push({
        externalId,
        role,
        vendor: link.system.vendor,
        instance: link.system.instance,
        ...(link.nativeId === undefined ? {} : { nativeId: link.nativeId }),
      });
    }
  }

  let findings = compareBilling({ ledger, erp, psa, references, tolerance: deps.tolerance });
  // A PSA that cannot be read is not compared: its invoices are not missing, they are unknown.
  if (psaReader === undefined) findings = findings.filter((f) => f.kind !== 'missing-in-psa');
  if (parallel !== undefined) findings = [...findings, ...compareParallelRun(primaryOfPeriod, parallel, deps.tolerance)];
  if (parallelUnreadable !== undefined) findings = [...findings, parallelUnreadable];

  const at = deps.now();
  const reported: ReportedFinding[] = [];
  for (const finding of findings) {
    const repaired = finding.repairable && psaInstance !== undefined && (await repair(finding, byExternalId.get(finding.externalId), psaInstance, deps));
    if (!repaired) await recordException(finding, request, deps, at);
    reported.push({
      kind: finding.kind,
      entityId: finding.entityId,
      externalId: finding.externalId,
      moneyAtStake: finding.moneyAtStake,
      detail: finding.detail,
      status: repaired ? 'repaired' : 'exception',
      ...(finding.erp ? { erp: finding.erp } : {}),
      ...(finding.psa ? { psa: finding.psa } : {}),
      ...(finding.parallelErp ? { parallelErp: finding.parallelErp } : {}),
    });
  }

  // A finding of the last run that is gone now (fixed in a system, or repaired): its exception is closed.
  const previous = await deps.reports.load(entityId, request.period);
  const current = new Set(reported.filter((f) => f.status === 'exception').map((f) => f.entityId));
  // A parallel-run ERP that could not be read this time has not shown its findings gone: they stay open.
  const unverified = (f: ReportedFinding) =>
    parallelUnreadable !== undefined && f.kind !== 'parallel-erp-unreadable' && PARALLEL_KINDS.has(f.kind as Finding['kind']);
  for (const gone of previous?.findings.filter((f) => f.status === 'exception' && !current.has(f.entityId) && !unverified(f)) ?? [])
    await deps.exceptions.resolve({ workflow: RECONCILIATION_WORKFLOW, entityType: 'invoice', entityId: gone.entityId }, 'reconciliation', at);

  const report: ReconciliationReport = {
    legalEntityId: entityId,
    period: request.period,
    ranAt: at.toISOString(),
    tolerance: deps.tolerance,
    compared: {
      ledger: ledger.length,
      erp: erp.length,
      ...(psaReader === undefined ? {} : { psa: psa.length }),
      ...(parallel === undefined ? {} : { parallelErp: parallel.length }),
      references: references.length,
    },
    findings: reported,
    summary: summarize(findings),
  };
  await deps.reports.save(report);
  return report;
}

/** Records a posted invoice the PSA lacks, from the ledger, as billing's last step does; false when it cannot. */
async function repair(finding: Finding, contract: ContractRecord | undefined, psaInstance: string, deps: ReconcileDependencies): Promise<boolean> {
  if (contract === undefined || contract.psa.instance !== psaInstance) return false;
  const from = finding.externalId.slice(finding.externalId.lastIndexOf(':') + 1);
  const invoice = await deps.ledger.invoiceOf(contract.psa, from);
  if (!invoice?.posted) return false;
  try {
    await deps
      .psaBillingFor(psaInstance)
      .recordInvoice(contract.psa.projectId, await psaInvoiceOf(deps.ledger, { ...invoice, posted: invoice.posted }, finding.externalId));
    return true;
  } catch {
    // Refused or unreachable: the finding stays, as an exception someone works.
    return false;
  }
}

const PARALLEL_KINDS: ReadonlySet<Finding['kind']> = new Set([
  'missing-in-parallel-erp',
  'only-in-parallel-erp',
  'parallel-amount-mismatch',
  'parallel-date-mismatch',
  'parallel-erp-unreadable',
]);

const REMEDIATION: Readonly<Record<Finding['kind'], string>> = {
  'missing-in-psa':
    'The invoice is posted in the ERP but not recorded in the PSA, and the ledger could not record it: record it in the PSA (its work may be invoiced elsewhere), then run `npm run ops -- reconcile run`.',
  'missing-in-erp':
    'The ledger (or the PSA) holds an invoice the ERP does not: find out whether it was deleted or voided in the ERP; re-post or credit it, then run `npm run ops -- reconcile run`.',
  'amount-mismatch':
    'The ERP total differs from what billing posted: check for a manual edit in the ERP and correct it there or with a credit note, then run `npm run ops -- reconcile run`.',
  'date-mismatch': 'The ERP invoice date differs from the posting date billing used: correct the date in the ERP if it moved the invoice out of its period.',
  'orphan-reference':
    'The cross-reference registry links the invoice to a record that does not exist: remove or correct the link once you know which record is right.',
  'missing-in-parallel-erp':
    "The parallel-run ERP lacks an invoice the primary ERP holds: load it there with the same external reference (the migration's load), then run `npm run ops -- reconcile run`.",
  'only-in-parallel-erp':
    "The parallel-run ERP holds an invoice of ours the primary ERP does not: find out whether the primary's was voided or the load duplicated it, fix the side that is wrong, then run `npm run ops -- reconcile run`.",
  'parallel-amount-mismatch':
    'The two ERPs total the invoice differently: compare their lines and tax (a tax code or rounding rule mapped differently in the migration), fix the mapping, then run `npm run ops -- reconcile run`.',
  'parallel-erp-unreadable':
    "The parallel-run ERP could not be read (its credentials, its availability or its permissions): check the instance's secret and the vendor's status, then run `npm run ops -- reconcile run`.",
  'parallel-date-mismatch':
    "The two ERPs date the invoice differently: check the date mapping of the migration's load (time zone or posting period), then run `npm run ops -- reconcile run`.",
};

async function recordException(finding: Finding, request: ReconcileRequest, deps: ReconcileDependencies, at: Date): Promise<void> {
  // A parallel-run finding is the migration's to fix: it is filed against the parallel-run ERP.
  const parallelInstance = PARALLEL_KINDS.has(finding.kind) ? request.legalEntity.parallelRun?.erp : undefined;
  const system = parallelInstance !== undefined ? { instance: parallelInstance } : (finding.erp ?? finding.psa);
  await deps.exceptions.record(
    {
      workflow: RECONCILIATION_WORKFLOW,
      entityType: 'invoice',
      entityId: finding.entityId,
      reason: `${finding.kind}: ${finding.detail}`,
      remediation: REMEDIATION[finding.kind],
      correlationId: request.correlationId,
      source: system ? { vendor: deps.vendorOf(system.instance), instance: system.instance } : { vendor: 'ledger', instance: request.legalEntity.id },
      legalEntityId: request.legalEntity.id,
      moneyAtStake: finding.moneyAtStake,
    },
    at,
  );
}
