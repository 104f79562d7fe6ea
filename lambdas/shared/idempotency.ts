import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requiredEnvironment } from './runtime';

let store: DynamoDBPersistenceLayer | undefined;

/** The region's Powertools idempotency store (Powertools' default key layout; see IdempotencyTable). */
export function idempotencyStore(): DynamoDBPersistenceLayer {
  store ??= new DynamoDBPersistenceLayer({ tableName: requiredEnvironment('IDEMPOTENCY_TABLE_NAME'), awsSdkV3Client: new DynamoDBClient({}) });
  return store;
}

/** An idempotency configuration keyed by a JMESPath into the wrapped function's first argument. */
export function idempotencyConfig(eventKeyJmesPath: string): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath,
    expiresAfterSeconds: Number(process.env.IDEMPOTENCY_TTL_SECONDS ?? 7 * 24 * 3600),
    throwOnNoIdempotencyKey: true,
  });
}
