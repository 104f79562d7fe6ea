import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { type AuditEntry, type AuditTrail, canonicalJson, payloadHash } from '../../../lambdas/common/audit-trail';
import {
  type ArchivedPayloadMetadata,
  ArchivingAuditTrail,
  type PayloadArchive,
  PayloadArchiveUnavailableError,
  S3PayloadArchive,
} from '../../../lambdas/common/payload-archive';

const entry: AuditEntry = {
  vendor: 'netsuite',
  instance: 'netsuite-us',
  recordType: 'customer',
  recordKey: 'g-1',
  operation: 'upsert',
  execution: 'hubspot-main-1-r1',
  correlationId: 'corr-1',
  payload: { subsidiary: { id: '1' }, companyName: 'Globex' },
  result: 'ok',
  status: '204',
  at: new Date('2026-11-02T10:00:00Z'),
};

function memoryArchive(fail?: Error): PayloadArchive & { stored: { body: string; metadata: ArchivedPayloadMetadata }[] } {
  const stored: { body: string; metadata: ArchivedPayloadMetadata }[] = [];
  return {
    stored,
    archive: async (body, metadata) => {
      if (fail) throw fail;
      stored.push({ body: String(body), metadata });
      return { sha256: payloadHash(JSON.parse(String(body))), key: '', stored: true };
    },
  };
}

describe('ArchivingAuditTrail', () => {
  it("archives the entry's payload as canonical JSON, whose SHA-256 is the hash the entry stores", async () => {
    const recorded: AuditEntry[] = [];
    const archive = memoryArchive();
    const trail = new ArchivingAuditTrail({ record: async (e) => void recorded.push(e) }, archive, vi.fn());

    await trail.record(entry);

    expect(recorded).toEqual([entry]);
    expect(archive.stored).toEqual([
      {
        body: '{"companyName":"Globex","subsidiary":{"id":"1"}}',
        metadata: { kind: 'vendor-write', vendor: 'netsuite', instance: 'netsuite-us', correlationId: 'corr-1', receivedAt: entry.at },
      },
    ]);
    expect(canonicalJson(entry.payload)).toBe(archive.stored[0]!.body);
  });

  it('still records the entry when the archive fails, then fails the call as VendorUnavailable (retried) with one error line', async () => {
    const recorded: AuditEntry[] = [];
    const log = vi.fn();
    const trail = new ArchivingAuditTrail(
      { record: async (e) => void recorded.push(e) },
      memoryArchive(new PayloadArchiveUnavailableError(payloadHash(entry.payload), 'ServiceUnavailable: slow down')),
      log,
    );

    const failure = await trail.record(entry).catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: 'VendorUnavailable', sha256: payloadHash(entry.payload), message: expect.stringContaining('(correlation corr-1)') });
    expect(recorded).toEqual([entry]);
    expect(log).toHaveBeenCalledExactlyOnceWith(
      'Payload not archived',
      expect.objectContaining({ correlationId: 'corr-1', payloadSha256: payloadHash(entry.payload) }),
    );
  });

  it("fails with the audit trail's own error when the entry cannot be recorded", async () => {
    const broken: AuditTrail = { record: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')) };

    await expect(new ArchivingAuditTrail(broken, memoryArchive(), vi.fn()).record(entry)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('S3PayloadArchive', () => {
  const metadata = { kind: 'webhook', vendor: 'hubspot', instance: 'hubspot-main', correlationId: 'é-1', receivedAt: entry.at } as const;
  const clientAnswering = (answer: () => Promise<unknown>) => {
    const send = vi.fn((_command: unknown) => answer());
    return { client: { send } as unknown as S3Client, send };
  };

  it('puts the bytes at payloads/<sha256> once (If-None-Match: *), with ASCII metadata', async () => {
    const { client, send } = clientAnswering(async () => ({}));

    const archived = await new S3PayloadArchive(client, 'bucket').archive(Buffer.from('[1]'), metadata);

    expect(archived).toEqual({ sha256: payloadHash([1]), key: `payloads/${payloadHash([1])}`, stored: true });
    expect(send.mock.calls[0]![0]).toMatchObject({
      input: {
        Bucket: 'bucket',
        Key: archived.key,
        IfNoneMatch: '*',
        ContentType: 'application/json',
        Metadata: { kind: 'webhook', vendor: 'hubspot', instance: 'hubspot-main', 'correlation-id': '?-1', 'received-at': '2026-11-02T10:00:00.000Z' },
      },
    });
  });

  it('takes 412 as already archived, and any other failure as PayloadArchiveUnavailable', async () => {
    const precondition = Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

    expect(await new S3PayloadArchive(clientAnswering(() => Promise.reject(precondition)).client, 'b').archive('[1]', metadata)).toMatchObject({
      stored: false,
    });
    await expect(new S3PayloadArchive(clientAnswering(() => Promise.reject(denied)).client, 'b').archive('[1]', metadata)).rejects.toMatchObject({
      name: 'VendorUnavailable',
      message: expect.stringContaining('AccessDenied: Access Denied'),
    });
  });
});
