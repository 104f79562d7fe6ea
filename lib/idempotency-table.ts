import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { secureTableProps } from './secure-table-defaults';
import { TABLE_KEYS } from './topology/tables';

/** Properties of {@link IdempotencyTable}. */
export interface IdempotencyTableProps {
  /** Encrypts idempotency records, which hold vendor responses. */
  readonly encryptionKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Powertools idempotency store shared by every vendor write in a region.
 *
 * Key layout (Powertools' defaults, so `DynamoDBPersistenceLayer` needs no key options):
 * - `id` (S, partition key): `<function name>#<hash of the idempotency key>`
 * - `expiration` (N): epoch seconds after which DynamoDB's TTL deletes the record; Powertools also
 *   treats an expired record as absent, so a late TTL sweep never blocks a new operation.
 * - `status`, `data`, `validation`, `in_progress_expiration`: written by Powertools.
 * - `lease#<vendor instance>#<slot>`: a concurrency slot of a vendor instance (ConcurrencyLimit),
 *   with `leaseId` and `leaseExpiresAt`; taken by conditional put, freed by conditional delete.
 */
export class IdempotencyTable extends Construct {
  /** The attribute Powertools writes expiry to, and the table's TTL attribute. */
  public static readonly TTL_ATTRIBUTE = TABLE_KEYS.idempotency.timeToLiveAttribute!;
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', secureTableProps(TABLE_KEYS.idempotency, props.encryptionKey, props.removalPolicy));
  }

  /** Lets a function record and read idempotency records. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadWriteData(grantee);
  }
}
