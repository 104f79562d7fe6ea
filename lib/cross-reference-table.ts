import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { secureTableProps } from './secure-table-defaults';
import { TABLE_KEYS } from './topology/tables';

/** Properties of {@link CrossReferenceTable}. */
export interface CrossReferenceTableProps {
  /** Encrypts the table. */
  readonly encryptionKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Global id ↔ id in every system instance, with the version last applied per source.
 *
 * Key layout (single table, generic keys, no index; all writes single-item and conditional):
 * - `NATIVE#<vendor>#<instance>#<entityType>#<nativeId>` / `CLAIM`: which global id owns a native
 *   record; `attribute_not_exists(pk)` lets exactly one of concurrent creators win.
 * - `GLOBAL#<globalId>` / `LINK#<vendor>#<instance>`: the record's id in that system, `pending`
 *   while a create is reserved before the vendor call, `completed` with its native id after.
 * - `GLOBAL#<globalId>` / `VERSION#<vendor>#<instance>`: last applied source version, a Number
 *   (exact to 38 digits), updated only when `version < :candidate`.
 * - `GLOBAL#<survivor>` / `MERGED#<merged>` then `GLOBAL#<merged>` / `META` with `mergedInto`: a
 *   merge, marker first so no link is ever unreachable.
 * The full table with conditions is in lambdas/shared/cross-reference/table-schema.ts.
 */
export class CrossReferenceTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CrossReferenceTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', secureTableProps(TABLE_KEYS.crossReferences, props.encryptionKey, props.removalPolicy));
  }

  /** Lets a function read and write cross-references. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadWriteData(grantee);
  }
}
