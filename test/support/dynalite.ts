import type { AddressInfo } from 'node:net';
import { type AttributeDefinition, CreateTableCommand, DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { KeyAttribute } from '../../lambdas/common/cross-reference/table-schema';
import type { TableKeys } from '../../lib/topology/tables';

/** A key schema with attribute types (as `table-schema.ts` exports), or key names of string keys. */
export type DynaliteKeys = TableKeys | { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute };

/** A running dynalite with one table. */
export interface DynaliteTable {
  /** A document client on the table's endpoint; numbers are read back as NumberValue (exact). */
  readonly documents: DynamoDBDocumentClient;
  readonly endpoint: string;
  /** Stops the server and the client. */
  close(): Promise<void>;
}

function keyAttribute(key: string | KeyAttribute): KeyAttribute {
  return typeof key === 'string' ? { name: key, type: 'S' } : key;
}

/**
 * Starts an in-memory DynamoDB (dynalite, a real DynamoDB API over HTTP) on a free loopback port and
 * creates one table with the given keys.
 */
export async function startDynalite(tableName: string, keys: DynaliteKeys): Promise<DynaliteTable> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const attributes = [keyAttribute(keys.partitionKey), ...(keys.sortKey === undefined ? [] : [keyAttribute(keys.sortKey)])];
  const keySchema: KeySchemaElement[] = attributes.map((a, i) => ({ AttributeName: a.name, KeyType: i === 0 ? 'HASH' : 'RANGE' }));
  const definitions: AttributeDefinition[] = attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type }));
  const indexes = ('indexes' in keys ? (keys.indexes ?? []) : []).map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  }));
  for (const index of indexes)
    for (const k of index.KeySchema)
      if (!definitions.some((d) => d.AttributeName === k.AttributeName)) definitions.push({ AttributeName: k.AttributeName, AttributeType: 'S' });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: keySchema,
      AttributeDefinitions: definitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
    }),
  );
  return {
    // One document client per base client: lib-dynamodb stores translateConfig on the shared config.
    documents: DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } }),
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
