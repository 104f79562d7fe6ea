import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const stores = new Map<string, DynamoDBPersistenceLayer>();

/** The region's Powertools idempotency store on a table (Powertools' default key layout; see IdempotencyTable). */
export function idempotencyStore(tableName: string): DynamoDBPersistenceLayer {
  let store = stores.get(tableName);
  if (store === undefined) {
    store = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: new DynamoDBClient({}) });
    stores.set(tableName, store);
  }
  return store;
}

/** An idempotency configuration keyed by a JMESPath into the wrapped function's first argument. */
export function idempotencyConfig(eventKeyJmesPath: string, expiresAfterSeconds: number): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath,
    expiresAfterSeconds,
    throwOnNoIdempotencyKey: true,
  });
}
