import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { TableKeys } from '../../lib/topology/tables';

/** An in-memory DynamoDB (dynalite, a real DynamoDB API over HTTP) with one table. */
export async function startDynalite(tableName: string, keys: TableKeys): Promise<{ documents: DynamoDBDocumentClient; endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const keySchema: KeySchemaElement[] = [{ AttributeName: keys.partitionKey, KeyType: 'HASH' }];
  if (keys.sortKey) keySchema.push({ AttributeName: keys.sortKey, KeyType: 'RANGE' });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: keySchema,
      AttributeDefinitions: keySchema.map((k) => ({ AttributeName: k.AttributeName!, AttributeType: 'S' })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    documents: DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } }),
    endpoint,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
