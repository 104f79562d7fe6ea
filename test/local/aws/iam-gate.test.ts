import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamEvaluator, type LocalPrincipal } from '../../../local/aws/iam-evaluator';
import { type IamGate, iamRequestsOf, startIamGate } from '../../../local/aws/iam-gate';
import { startSecretsManager } from '../../../local/aws/secrets-manager';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const reader: LocalPrincipal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReaderRole/Reader`,
  policies: [
    {
      name: 'reader',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: table('ledger') },
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ps-sync/local/hubspot-main-??????`,
          },
        ],
      },
    },
  ],
};
const evaluator = new IamEvaluator(ACCOUNT, new Map([['Reader', reader]]));
const credentials = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: 'local' });

let dynamoGate: IamGate;
let secretsGate: IamGate;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new DynamoDBClient({ endpoint: target, region: REGION, credentials: credentials('admin') }).send(
    new CreateTableCommand({
      TableName: 'ledger',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  dynamoGate = await startIamGate({ service: 'dynamodb', target, region: REGION, account: ACCOUNT, evaluator });
  const secrets = await startSecretsManager({ region: REGION, secrets: { 'ps-sync/local/hubspot-main': { a: 1 }, 'ps-sync/local/kantata-global': { b: 2 } } });
  secretsGate = await startIamGate({ service: 'secretsmanager', target: secrets.url, region: REGION, account: ACCOUNT, evaluator, secretArn: secrets.arnOf });
  closers.push(
    () => dynamoGate.close(),
    () => secretsGate.close(),
    () => secrets.close(),
  );
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('the IAM gate in front of a local service', () => {
  const dynamo = (key: string) => new DynamoDBClient({ endpoint: dynamoGate.url, region: REGION, credentials: credentials(key), maxAttempts: 1 });

  it('forwards what the role allows', async () => {
    const answer = await dynamo('Reader').send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'x' } } }));
    expect(answer.Item).toBeUndefined();
    const query = await dynamo('Reader').send(
      new QueryCommand({ TableName: 'ledger', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'x' } } }),
    );
    expect(query.Count).toBe(0);
  });

  it('refuses what it does not, with AccessDeniedException and AWS message, and the write never happens', async () => {
    const refused = await dynamo('Reader')
      .send(new PutItemCommand({ TableName: 'ledger', Item: { pk: { S: 'x' } } }))
      .catch((e: Error) => e);
    expect(refused).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${reader.arn} is not authorized to perform: dynamodb:PutItem on resource: ${table('ledger')} because no identity-based policy allows the dynamodb:PutItem action`,
      $metadata: { httpStatusCode: 400 },
    });
    expect(dynamoGate.refusals.at(-1)).toEqual({ principal: reader.arn, message: (refused as Error).message });
    expect((await dynamo('Reader').send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'x' } } }))).Item).toBeUndefined();
  });

  it('refuses a key it does not know as an invalid security token', async () => {
    await expect(dynamo('Stranger').send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'x' } } }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });

  it('authorizes a secret by its full ARN, whether it is asked for by name or by ARN', async () => {
    const client = new SecretsManagerClient({ endpoint: secretsGate.url, region: REGION, credentials: credentials('Reader'), maxAttempts: 1 });
    const own = await client.send(new GetSecretValueCommand({ SecretId: 'ps-sync/local/hubspot-main' }));
    expect(own.ARN).toMatch(/:secret:ps-sync\/local\/hubspot-main-\w{6}$/);
    expect((await client.send(new GetSecretValueCommand({ SecretId: own.ARN! }))).SecretString).toBe('{"a":1}');
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'ps-sync/local/kantata-global' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(
        /secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:ps-sync\/local\/kantata-global-\w{6} /,
      ),
    });
  });
});

describe('the IAM requests a call needs', () => {
  const where = { region: REGION, account: ACCOUNT };

  it('names every table of a batch or a transaction, each with its own action', () => {
    expect(iamRequestsOf('dynamodb', 'BatchWriteItem', { RequestItems: { a: [], b: [] } }, where)).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table('a') },
      { action: 'dynamodb:BatchWriteItem', resource: table('b') },
    ]);
    expect(
      iamRequestsOf('dynamodb', 'TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }] }, where),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: table('a') },
      { action: 'dynamodb:ConditionCheckItem', resource: table('b') },
    ]);
  });

  it('names an index for a query on one, the queue for SQS batch calls, and each bus of PutEvents', () => {
    expect(iamRequestsOf('dynamodb', 'Query', { TableName: 'a', IndexName: 'open' }, where)).toEqual([
      { action: 'dynamodb:Query', resource: `${table('a')}/index/open` },
    ]);
    expect(iamRequestsOf('sqs', 'SendMessageBatch', { QueueUrl: 'http://127.0.0.1:1/000000000000/Starts' }, where)).toEqual([
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:Starts` },
    ]);
    expect(iamRequestsOf('events', 'PutEvents', { Entries: [{ EventBusName: 'canonical' }, {}] }, where)).toEqual([
      { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/canonical` },
      { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
    ]);
  });
});
