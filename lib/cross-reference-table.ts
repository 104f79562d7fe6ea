import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CROSS_REFERENCE_TABLE, type KeyAttribute } from '../lambdas/common/cross-reference/table-schema';
import { secureTableProps } from './secure-table-defaults';

/** Properties of {@link CrossReferenceTable}. */
export interface CrossReferenceTableProps {
  /** The customer-managed key that encrypts the table (cross-references name customers and deals). */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

/**
 * Global id ↔ id in every system instance, with the version last applied per source. On-demand,
 * encrypted with the given key, point-in-time recovery, deletion protection, retained by default.
 */
export class CrossReferenceTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CrossReferenceTableProps) {
    super(scope, id);
    const { partitionKey, sortKey } = CROSS_REFERENCE_TABLE;
    /*
     * Key design (single table, generic pk/sk, no index; single-item conditional writes only). The
     * full table, with every item's attributes and guarding condition, is the comment in
     * lambdas/common/cross-reference/table-schema.ts, next to the keys the tests build the same table from.
     * - NATIVE#<vendor>#<instance>#<entityType>#<nativeId> / CLAIM: the owning global id;
     *   attribute_not_exists(pk) lets exactly one of concurrent creators win.
     * - GLOBAL#<globalId> / LINK#<vendor>#<instance>: the id in that system, pending while a create is
     *   reserved before the vendor call, completed with its native id after.
     * - GLOBAL#<globalId> / VERSION#<vendor>#<instance>: last applied source version, a Number
     *   (exact to 38 digits), updated only when version < :candidate.
     * - GLOBAL#<survivor> / MERGED#<merged>, then GLOBAL#<merged> / META mergedInto: a merge, marker
     *   first, the META pointer its commit point.
     */
    this.table = new dynamodb.TableV2(this, 'Table', {
      ...secureTableProps({ partitionKey: partitionKey.name, sortKey: sortKey.name }, props.encryptionKey, props.removalPolicy),
      partitionKey: { name: partitionKey.name, type: ATTRIBUTE_TYPES[partitionKey.type] },
      sortKey: { name: sortKey.name, type: ATTRIBUTE_TYPES[sortKey.type] },
    });
  }

  /** Lets a function read and write cross-references (items and the key's encrypt/decrypt). */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadWriteData(grantee);
  }
}
