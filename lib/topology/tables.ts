import { OPEN_EXCEPTIONS_INDEX } from '../../lambdas/common/exception-table-schema';
import type { SharedTable } from './declarations';

/** The key layout of a shared table, read by the CDK constructs and by the local stack's dynalite. */
export interface TableKeys {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly timeToLiveAttribute?: string;
  /** Global secondary indexes with string keys, all attributes projected. */
  readonly indexes?: readonly { readonly name: string; readonly partitionKey: string; readonly sortKey: string }[];
}

/**
 * Key names of every shared table. Each table's full layout is documented above its construct in
 * `lib/`; this is the part both builders must agree on.
 */
export const TABLE_KEYS: Readonly<Record<SharedTable, TableKeys>> = {
  crossReferences: { partitionKey: 'pk', sortKey: 'sk' },
  // Powertools' defaults, so DynamoDBPersistenceLayer needs no key options.
  idempotency: { partitionKey: 'id', timeToLiveAttribute: 'expiration' },
  exceptions: { partitionKey: 'pk', sortKey: 'sk', indexes: [OPEN_EXCEPTIONS_INDEX] },
  audit: { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' },
  billingLedger: { partitionKey: 'pk', sortKey: 'sk' },
};
