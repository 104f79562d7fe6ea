import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { secureTableProps } from './secure-table-defaults';
import { TABLE_KEYS } from './topology/tables';

/** Properties of {@link AuditTrailTable}. */
export interface AuditTrailTableProps {
  readonly encryptionKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The append-only record of every vendor write. Writers get `dynamodb:PutItem` only, guarded by
 * `attribute_not_exists(pk)` in code, so nothing a function does can edit or delete an entry.
 * Payloads are stored as a hash; `expiresAt` (TTL) enforces the payload retention setting.
 *
 * Key layout:
 * - `pk` (S): `<vendor>#<instance>#<record type>#<record key>`: the record written.
 * - `sk` (S): `<iso time>#<execution>#<operation>`: when and by which execution.
 * - attributes: `operation`, `payloadSha256`, `result` (ok | rejected | failed), `status`, `correlationId`, `expiresAt`.
 */
export class AuditTrailTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: AuditTrailTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', secureTableProps(TABLE_KEYS.audit, props.encryptionKey, props.removalPolicy));
  }

  /** Lets a function append entries, and nothing else. */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    // Hand-written: table.grantWriteData would add UpdateItem, DeleteItem and BatchWriteItem, which can edit or delete entries.
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.table.tableArn] });
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }
}
