import { createHash } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, GetObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// End to end: a won HubSpot deal, entering only through the local webhook API, leaves its raw webhook
// body and the body of each vendor write in the payload archive (the local S3 stand-in, reached by the
// same SDK calls as in AWS), under the hashes the audit entries name, locked as configured.
let env: LocalEnvironment;
const REGION = 'us-east-1';
const admin = { accessKeyId: 'local', secretAccessKey: 'local' };
/** A client signing as a function, through the IAM gates: it may do what the function's role allows. */
const asFunction = (functionId: string) => ({ accessKeyId: functionId, secretAccessKey: 'local' });
const sha256 = (body: string | Uint8Array) => createHash('sha256').update(body).digest('hex');

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
}, 120_000);
afterAll(async () => env?.stop());

async function auditEntries(): Promise<{ pk: string; correlationId: string; payloadSha256: string; operation: string }[]> {
  const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: REGION, credentials: admin });
  const { Items = [] } = await client.send(new ScanCommand({ TableName: env.stack.tableNames.audit }));
  return Items.map((i) => ({ pk: i.pk!.S!, correlationId: i.correlationId!.S!, payloadSha256: i.payloadSha256!.S!, operation: i.operation!.S! }));
}

describe('the payload archive on the local stack', () => {
  it('keeps the raw webhook body and every vendor write of a won deal, under the hashes the audit trail names', async () => {
    const dealId = await createHubSpotDeal(env.hubspot.url, { company: 'Vandelay Industries' });
    await fetch(`${env.hubspot.url}/__sandbox/deals/${dealId}/set`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dealstage: 'closedwon' }),
    });
    await env.settled();
    expect(env.stack.stepFunctions.executions.map((e) => e.status)).toEqual(['SUCCEEDED']);

    // The webhook batch that won the deal, byte for byte as HubSpot sent it.
    const won = env.hubspot.deliveries.find((d) => d.body.includes('closedwon'))!;
    const webhook = env.stack.payloadArchive.object(`payloads/${sha256(won.body)}`);
    expect(webhook?.body.toString('utf8')).toBe(won.body);
    expect(webhook?.metadata).toMatchObject({ kind: 'webhook', vendor: 'hubspot', instance: 'hubspot-main' });

    // Each audited write: the customer and project in NetSuite, the workspace in Kantata, the ids on the deal.
    const entries = await auditEntries();
    expect(new Set(entries.map((e) => e.pk.split('#')[0]))).toEqual(new Set(['netsuite', 'kantata', 'hubspot']));
    for (const entry of entries) {
      const object = env.stack.payloadArchive.object(`payloads/${entry.payloadSha256}`);
      expect(object, `${entry.pk} ${entry.operation}`).toBeDefined();
      expect(sha256(object!.body)).toBe(entry.payloadSha256);
      expect(object!.metadata).toMatchObject({ kind: 'vendor-write', vendor: entry.pk.split('#')[0] });
      expect(object!.retention).toEqual({ mode: 'GOVERNANCE', retainUntil: new Date(object!.lastModified.getTime() + 30 * 86_400_000) });
    }
    // Nothing else is archived, and the same payload written twice (a retried step, a replay) is one object: never a second version.
    const archived = env.stack.payloadArchive.versions().map((v) => v.key);
    const named = new Set([...entries.map((e) => `payloads/${e.payloadSha256}`), ...env.hubspot.deliveries.map((d) => `payloads/${sha256(d.body)}`)]);
    expect(archived.filter((key) => !named.has(key))).toEqual([]);
    expect(new Set(archived).size).toBe(archived.length);
    // Readable by the same SDK calls an operator makes against S3, the bucket's lock applied.
    const s3 = new S3Client({ endpoint: env.stack.endpoints.s3, region: REGION, credentials: admin });
    const [first] = entries;
    const read = await s3.send(new GetObjectCommand({ Bucket: env.stack.payloadArchive.bucket, Key: `payloads/${first!.payloadSha256}` }));
    expect(sha256(await read.Body!.transformToByteArray())).toBe(first!.payloadSha256);
    const { Retention } = await s3.send(new GetObjectRetentionCommand({ Bucket: env.stack.payloadArchive.bucket, Key: `payloads/${first!.payloadSha256}` }));
    expect(Retention?.Mode).toBe('GOVERNANCE');
  });

  it("refuses a function's role a delete of an archived payload, and the lock refuses it to anyone", async () => {
    const [entry] = await auditEntries();
    const key = `payloads/${entry!.payloadSha256}`;
    const bucket = env.stack.payloadArchive.bucket;
    const fn = new S3Client({ endpoint: env.stack.gatedEndpoints.s3, region: REGION, credentials: asFunction('CreateErpProject') });

    await expect(fn.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(
        /CreateErpProject is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::local-payload-archive\/payloads\//,
      ),
    });
    await expect(fn.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const { versionId } = env.stack.payloadArchive.object(key)!;
    const s3 = new S3Client({ endpoint: env.stack.endpoints.s3, region: REGION, credentials: admin });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).rejects.toMatchObject({ name: 'AccessDenied' });

    expect(env.stack.payloadArchive.versions(key)).toHaveLength(1);
  });

  it("refuses a writer's role an update or a delete of an audit entry: the trail is append-only", async () => {
    const [entry] = await auditEntries();
    const dynamo = new DynamoDBClient({ endpoint: env.stack.gatedEndpoints.dynamodb, region: REGION, credentials: asFunction('CreateErpProject') });
    const { Items = [] } = await new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: REGION, credentials: admin }).send(
      new ScanCommand({ TableName: env.stack.tableNames.audit }),
    );
    const key = { pk: Items.find((i) => i.pk!.S === entry!.pk)!.pk!, sk: Items.find((i) => i.pk!.S === entry!.pk)!.sk! };

    await expect(
      dynamo.send(
        new UpdateItemCommand({
          TableName: env.stack.tableNames.audit,
          Key: key,
          UpdateExpression: 'SET payloadSha256 = :h',
          ExpressionAttributeValues: { ':h': { S: 'forged' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('dynamodb:UpdateItem') });
    await expect(dynamo.send(new DeleteItemCommand({ TableName: env.stack.tableNames.audit, Key: key }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('dynamodb:DeleteItem'),
    });
    expect((await auditEntries()).find((e) => e.pk === entry!.pk)?.payloadSha256).toBe(entry!.payloadSha256);
  });
});
