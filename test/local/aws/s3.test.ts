import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadHash } from '../../../lambdas/common/audit-trail';
import { S3PayloadArchive } from '../../../lambdas/common/payload-archive';
import { IamEvaluator, type LocalPrincipal } from '../../../local/aws/iam-evaluator';
import { type IamGate, startIamGate } from '../../../local/aws/iam-gate';
import { type LocalS3, s3IamRequestsOf, startS3 } from '../../../local/aws/s3';

const DAY = 86_400_000;
let clock = new Date('2026-11-02T10:00:00Z');
let s3: LocalS3;
let gate: IamGate;
let admin: S3Client;
const client = (endpoint: string, accessKeyId = 'admin') =>
  new S3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'local' } });

// A role like a function's: PutObject under payloads/ and nothing else.
const archiver: LocalPrincipal = {
  arn: 'arn:aws:sts::000000000000:assumed-role/ArchiverRole/Archiver',
  policies: [
    {
      name: 'archive',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::governed/payloads/*' }] },
    },
  ],
};
const operator: LocalPrincipal = {
  arn: 'arn:aws:sts::000000000000:assumed-role/OperatorRole/Operator',
  policies: [{ name: 'all', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }],
};
const noBypass: LocalPrincipal = {
  arn: 'arn:aws:sts::000000000000:assumed-role/CleanerRole/Cleaner',
  policies: [
    {
      name: 'delete',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: '*' }] },
    },
  ],
};

beforeAll(async () => {
  s3 = await startS3({
    buckets: [
      { name: 'governed', objectLock: { mode: 'GOVERNANCE', days: 30 } },
      { name: 'complied', objectLock: { mode: 'COMPLIANCE', days: 365 } },
    ],
    now: () => clock,
  });
  gate = await startIamGate({
    service: 's3',
    target: s3.url,
    region: 'us-east-1',
    account: '000000000000',
    evaluator: new IamEvaluator(
      '000000000000',
      new Map([
        ['Archiver', archiver],
        ['Operator', operator],
        ['Cleaner', noBypass],
      ]),
    ),
  });
  admin = client(s3.url);
});
afterAll(async () => {
  await gate?.close();
  await s3?.close();
});

async function put(bucket: string, key: string, body: string) {
  return admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', Metadata: { kind: 'test' } }));
}

describe('the local S3 stand-in', () => {
  it('stores an object with the bucket default retention, and gives it back with its metadata, as the SDK reads it', async () => {
    const written = await put('governed', 'payloads/a', '{"a":1}');

    const read = await admin.send(new GetObjectCommand({ Bucket: 'governed', Key: 'payloads/a' }));
    const retention = await admin.send(new GetObjectRetentionCommand({ Bucket: 'governed', Key: 'payloads/a' }));
    const head = await admin.send(new HeadObjectCommand({ Bucket: 'governed', Key: 'payloads/a' }));

    expect(written.VersionId).toMatch(/^\w+$/);
    expect(await read.Body!.transformToString()).toBe('{"a":1}');
    expect(read).toMatchObject({ ContentType: 'application/json', Metadata: { kind: 'test' }, ObjectLockMode: 'GOVERNANCE', VersionId: written.VersionId });
    expect(retention.Retention).toEqual({ Mode: 'GOVERNANCE', RetainUntilDate: new Date(clock.getTime() + 30 * DAY) });
    expect(head.ContentLength).toBe(7);
    expect((await admin.send(new GetObjectLockConfigurationCommand({ Bucket: 'complied' }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
    });
  });

  it('refuses a second put of a key with If-None-Match: * (412), so the same payload twice is one object', async () => {
    const archive = new S3PayloadArchive(admin, 'governed');
    const metadata = { kind: 'vendor-write', vendor: 'netsuite', instance: 'netsuite-us', correlationId: 'c-1', receivedAt: clock } as const;

    const first = await archive.archive('{"companyName":"Globex"}', metadata);
    const second = await archive.archive('{"companyName":"Globex"}', { ...metadata, correlationId: 'c-2' });

    expect(first).toEqual({ sha256: payloadHash({ companyName: 'Globex' }), key: `payloads/${payloadHash({ companyName: 'Globex' })}`, stored: true });
    expect(second).toEqual({ ...first, stored: false });
    expect(s3.versions('governed', first.key)).toHaveLength(1);
    expect(s3.object('governed', first.key)?.metadata).toEqual({
      kind: 'vendor-write',
      vendor: 'netsuite',
      instance: 'netsuite-us',
      'correlation-id': 'c-1',
      'received-at': clock.toISOString(),
    });
  });

  it('adds a delete marker for a delete without a version id, and keeps the locked version', async () => {
    await put('governed', 'payloads/b', 'b');

    const deleted = await admin.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'payloads/b' }));

    expect(deleted.DeleteMarker).toBe(true);
    await expect(admin.send(new GetObjectCommand({ Bucket: 'governed', Key: 'payloads/b' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    const { Versions = [], DeleteMarkers = [] } = await admin.send(new ListObjectVersionsCommand({ Bucket: 'governed', Prefix: 'payloads/b' }));
    expect(Versions.map((v) => v.IsLatest)).toEqual([false]);
    expect(DeleteMarkers.map((m) => m.IsLatest)).toEqual([true]);
    // The key is free again for If-None-Match: a payload received after its object expired is archived anew.
    await admin.send(new PutObjectCommand({ Bucket: 'governed', Key: 'payloads/b', Body: 'b', IfNoneMatch: '*' }));
    expect(s3.versions('governed', 'payloads/b')).toHaveLength(3);
  });

  it('refuses to delete a locked version (403 AccessDenied) until its lock lapses', async () => {
    const { VersionId } = await put('governed', 'payloads/c', 'c');

    await expect(admin.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'payloads/c', VersionId }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'Access Denied because object protected by object lock.',
      $metadata: { httpStatusCode: 403 },
    });
    expect(s3.object('governed', 'payloads/c')?.versionId).toBe(VersionId);

    clock = new Date(clock.getTime() + 31 * DAY);
    await admin.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'payloads/c', VersionId }));
    expect(s3.versions('governed', 'payloads/c')).toEqual([]);
  });

  it('lets a GOVERNANCE lock be bypassed, but never a COMPLIANCE lock', async () => {
    const governed = await put('governed', 'payloads/d', 'd');
    const complied = await put('complied', 'payloads/d', 'd');

    await admin.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'payloads/d', VersionId: governed.VersionId, BypassGovernanceRetention: true }));
    await expect(
      admin.send(new DeleteObjectCommand({ Bucket: 'complied', Key: 'payloads/d', VersionId: complied.VersionId, BypassGovernanceRetention: true })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });

    expect(s3.versions('governed', 'payloads/d')).toEqual([]);
    expect(s3.versions('complied', 'payloads/d')).toHaveLength(1);
  });

  it('lists the current objects under a prefix', async () => {
    const { Contents = [], KeyCount } = await admin.send(new ListObjectsV2Command({ Bucket: 'complied', Prefix: 'payloads/' }));

    expect(KeyCount).toBe(1);
    expect(Contents.map((c) => [c.Key, c.Size])).toEqual([['payloads/d', 1]]);
  });

  it('refuses a put to a locked bucket without Content-MD5 or a checksum, as S3 does', async () => {
    const response = await fetch(`${s3.url}/governed/payloads/plain`, { method: 'PUT', body: 'x' });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidRequest</Code>');
  });
});

describe('the local S3 stand-in behind the IAM gate', () => {
  it("lets a function's role put under payloads/ and refuses it a read or a delete, as IAM would", async () => {
    const fn = client(gate.url, 'Archiver');
    const { VersionId } = await fn.send(new PutObjectCommand({ Bucket: 'governed', Key: 'payloads/e', Body: 'e' }));

    await expect(fn.send(new GetObjectCommand({ Bucket: 'governed', Key: 'payloads/e' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(fn.send(new DeleteObjectCommand({ Bucket: 'governed', Key: 'payloads/e' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::governed/payloads/e'),
    });
    await expect(fn.send(new PutObjectCommand({ Bucket: 'governed', Key: 'elsewhere', Body: 'e' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s3.versions('governed', 'payloads/e').map((v) => v.versionId)).toEqual([VersionId]);
  });

  it('lets a GOVERNANCE bypass through only for a caller allowed s3:BypassGovernanceRetention', async () => {
    const { VersionId } = await put('governed', 'payloads/f', 'f');
    const bypass = { Bucket: 'governed', Key: 'payloads/f', VersionId, BypassGovernanceRetention: true };

    await expect(client(gate.url, 'Cleaner').send(new DeleteObjectCommand(bypass))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('s3:BypassGovernanceRetention'),
    });
    await client(gate.url, 'Operator').send(new DeleteObjectCommand(bypass));

    expect(s3.versions('governed', 'payloads/f')).toEqual([]);
  });

  it('maps requests to the actions S3 authorizes them as', () => {
    const headers = { host: '127.0.0.1:4566' };
    expect(s3IamRequestsOf('PUT', '/b/payloads/x?x-id=PutObject', headers)).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/payloads/x' }]);
    expect(s3IamRequestsOf('GET', '/b/k?versionId=v1', headers)).toEqual([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k' }]);
    expect(s3IamRequestsOf('GET', '/b/k?retention', headers)).toEqual([{ action: 's3:GetObjectRetention', resource: 'arn:aws:s3:::b/k' }]);
    expect(s3IamRequestsOf('GET', '/b?list-type=2&prefix=payloads%2F', headers)).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
    expect(s3IamRequestsOf('DELETE', '/b/k?versionId=v1', { ...headers, 'x-amz-bypass-governance-retention': 'true' })).toEqual([
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::b/k' },
      { action: 's3:BypassGovernanceRetention', resource: 'arn:aws:s3:::b/k' },
    ]);
    expect(s3IamRequestsOf('PUT', '/k', { host: 'b.localhost:4566', 'x-amz-object-lock-mode': 'GOVERNANCE' })).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' },
      { action: 's3:PutObjectRetention', resource: 'arn:aws:s3:::b/k' },
    ]);
  });
});
