import { documents } from '../common/clients/dynamodb';
import { DynamoDbReconciliationReports } from '../dynamodb/reconciliation-reports';
import type { ReconciliationReports } from '../ports/reconciliation-reports';
import type { ReconcileDependencies } from '../reconciliation/reconcile';
import type { Container } from './container';
import { exceptionRecorder } from './exceptions';
import { billingLedger, crossReferences } from './tables';
import { vendorPorts } from './vendor-ports';

/** Reconciliation reports, in the idempotency table (the function must declare it). */
export function reconciliationReports(c: Container): ReconciliationReports {
  return new DynamoDbReconciliationReports(documents(), c.env.tableName('idempotency'));
}

/**
 * What a reconciliation run needs (the function must declare the billing ledger, the cross-reference
 * and idempotency tables, the exceptions and their queue, and the ERP and PSA secrets; it runs the
 * `sync` flow rule, as its repairs write to the PSA).
 */
export function reconcileDependencies(c: Container): (context: { execution: string; correlationId: string }) => ReconcileDependencies {
  const vendors = vendorPorts(c);
  const ledger = billingLedger(c);
  const registry = crossReferences(c);
  const exceptions = exceptionRecorder(c);
  const reports = reconciliationReports(c);
  const vendorOf = (instance: string) => {
    const found = c.config.vendorInstances.find((v) => v.id === instance);
    if (found === undefined) throw new Error(`Vendor instance ${instance} is not configured`);
    return found.vendor;
  };
  return (context) => {
    const ports = vendors.ports(context);
    return {
      ledger,
      erpFor: ports.invoiceReadFor,
      // Kantata lists its invoices; a PSA whose adapter cannot is left out of the comparison.
      psaReadFor: (instance) => (vendorOf(instance) === 'kantata' ? ports.psaInvoiceReadFor(instance) : undefined),
      psaBillingFor: ports.psaBillingFor,
      linksOf: (globalId) => registry.linksOf(globalId),
      vendorOf,
      exceptions,
      reports,
      tolerance: c.config.reconciliation.tolerance,
      now: c.clock,
    };
  };
}
