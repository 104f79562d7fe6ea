import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditEntry, AuditTrail } from './audit-trail';
import { canonicalJson } from './audit-trail';
import { VendorUnavailableError } from './errors';

/**
 * The payload archive: raw inbound payloads and the bodies of our vendor writes, kept unchanged in an S3
 * bucket under Object Lock (lib/payload-archive.ts) for the configured days. Content-addressed: a payload
 * is the object `payloads/<sha256 of its bytes>`, the hash the audit trail stores as `payloadSha256`, so
 * an entry names its payload and the same payload twice (a retry, a replay) is one object.
 */

/** What an archived payload was: an intake's raw body, a relayed event, or a body we sent to a vendor. */
export type ArchivedPayloadKind = 'webhook' | 'relayed-event' | 'vendor-write';

/** Where a payload came from, kept as the object's metadata (of its first receipt: later copies are the same object). */
export interface ArchivedPayloadMetadata {
  readonly kind: ArchivedPayloadKind;
  readonly vendor: string;
  readonly instance: string;
  readonly correlationId: string;
  readonly receivedAt: Date;
}

/** An archived payload: its hash and key, and whether this call stored it (false: it was already there). */
export interface ArchivedPayload {
  readonly sha256: string;
  readonly key: string;
  readonly stored: boolean;
}

/** Where payloads are archived. */
export interface PayloadArchive {
  /** Stores the bytes (a string as UTF-8) unless an object of the same hash is there; resolves once stored. */
  archive(body: Uint8Array | string, metadata: ArchivedPayloadMetadata, contentType?: string): Promise<ArchivedPayload>;
}

/** The key of a payload by its SHA-256 (hex): the one place the layout is written. */
export function payloadKey(sha256: string): string {
  return `payloads/${sha256}`;
}

/**
 * The archive could not store a payload. Named `VendorUnavailable` on purpose (the error name is the
 * contract with the state machines, ADR 0005): every step's `Retry` repeats it with backoff, as it does
 * an outage of the vendor, and a queue consumer's record is redelivered.
 */
export class PayloadArchiveUnavailableError extends VendorUnavailableError {
  constructor(
    readonly sha256: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super({ vendor: 's3', instance: 'payload-archive', operation: `archive payload ${sha256}` }, detail, options);
  }
}

/** S3 user metadata is US-ASCII: anything else is replaced, never refused. */
function ascii(value: string): string {
  return value.replace(/[^\x20-\x7E]/g, '?').slice(0, 256);
}

/** The archive on S3: `PutObject` with `If-None-Match: *`, under the bucket's default Object Lock retention. */
export class S3PayloadArchive implements PayloadArchive {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async archive(body: Uint8Array | string, metadata: ArchivedPayloadMetadata, contentType = 'application/json'): Promise<ArchivedPayload> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = payloadKey(sha256);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          // Written once: a second put of the same payload is refused with 412, which means it is archived.
          IfNoneMatch: '*',
          Metadata: {
            kind: metadata.kind,
            vendor: ascii(metadata.vendor),
            instance: ascii(metadata.instance),
            'correlation-id': ascii(metadata.correlationId),
            'received-at': metadata.receivedAt.toISOString(),
          },
        }),
      );
      return { sha256, key, stored: true };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) return { sha256, key, stored: false };
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new PayloadArchiveUnavailableError(sha256, detail, { cause: error });
    }
  }
}

/** Where an {@link ArchivingAuditTrail} may also write its error line (one per payload not archived). */
export type ArchiveFailureLog = (message: string, fields: Record<string, unknown>) => void;

/**
 * An audit trail whose entries' payloads are archived under the hash the entry stores. The entry and the
 * archive are written together; the entry is never held back by the archive (the trail must not lose a
 * write that happened), but a payload that could not be archived fails the call with
 * {@link PayloadArchiveUnavailableError}, whose message names the write, its correlation id and the hash,
 * so the step is retried (its vendor write is safe to repeat, ADR 0014) and the gap is reported where the
 * step's failures are: a queue record's error line, a task's execution history.
 */
export class ArchivingAuditTrail implements AuditTrail {
  constructor(
    private readonly inner: AuditTrail,
    private readonly archive: PayloadArchive,
    private readonly logFailure?: ArchiveFailureLog,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const metadata = {
      kind: 'vendor-write',
      vendor: entry.vendor,
      instance: entry.instance,
      correlationId: entry.correlationId,
      receivedAt: entry.at,
    } as const;
    const body = canonicalJson(entry.payload);
    const [recorded, archived] = await Promise.allSettled([this.inner.record(entry), this.archive.archive(body, metadata)]);
    if (recorded.status === 'rejected') throw recorded.reason;
    if (archived.status === 'rejected') {
      const sha256 = createHash('sha256').update(body).digest('hex');
      const cause = archived.reason as unknown;
      const detail =
        cause instanceof PayloadArchiveUnavailableError ? cause.detail : cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      const error = new PayloadArchiveUnavailableError(
        sha256,
        `the ${entry.operation} of ${entry.vendor} ${entry.instance} ${entry.recordType} ${entry.recordKey} (correlation ${entry.correlationId}) is audited, its payload not archived: ${detail}`,
        { cause },
      );
      this.logFailure?.('Payload not archived', {
        correlationId: entry.correlationId,
        execution: entry.execution,
        vendor: entry.vendor,
        instance: entry.instance,
        recordType: entry.recordType,
        operation: entry.operation,
        payloadSha256: sha256,
        reason: detail,
      });
      throw error;
    }
  }
}

/** The raw bytes of an API Gateway request's body, as the vendor sent them. */
export function rawBodyOf(request: { readonly body: string | null; readonly isBase64Encoded: boolean }): Buffer {
  return Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
}
