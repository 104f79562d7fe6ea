import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { secureTableProps } from './secure-table-defaults';
import { TABLE_KEYS } from './topology/tables';

/** Properties of {@link BillingLedgerTable}. */
export interface BillingLedgerTableProps {
  /** Encrypts contracts, approved work and invoices, which carry rates and amounts. */
  readonly encryptionKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The billing ledger of a region: what time and expenses to invoice bills, and what it has billed.
 * Key layout (string `pk`/`sk`; see `lambdas/dynamodb/billing-ledger.ts`):
 * - `CONTRACT#<psa instance>#<psa project>` / `CONTRACT`: the contract terms workflow 1 created.
 * - `CONTRACTS` / `<psa instance>#<psa project>`: every contract, the list a month-end run bills.
 * - `CONTRACTID#<contract id>` / `CONTRACT`: which project a contract id (the project's global id) is.
 * - `INVOICEID#<invoice global id>` / `INVOICE`: which contract and period an invoice is (for payments).
 * - `WORK#<psa instance>#<psa project>` / `<time|expense|milestone>#<id>`: approved work and milestone
 *   completions, with `billedBy` (the invoice key) once billed.
 * - `PERIOD#<yyyy-mm>` / `<psa instance>#<psa project>`: projects with work in a month (the run's list).
 * - `INVOICE#<psa instance>#<psa project>` / `<period start>` and `.../<period start>#PAGE#<n>`: the draft,
 *   then the posted invoice, and its billed ids in pages (a Map state marks them page by page).
 */
export class BillingLedgerTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: BillingLedgerTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', secureTableProps(TABLE_KEYS.billingLedger, props.encryptionKey, props.removalPolicy));
  }
}
