import { s3 } from '../common/clients/s3';
import { type ArchivedPayloadMetadata, type PayloadArchive, S3PayloadArchive } from '../common/payload-archive';
import type { Container } from './container';

/** The payload archive (the function must declare `{ kind: 'payloadArchive' }`, or append to the audit trail). */
export function payloadArchive(c: Container): PayloadArchive {
  return new S3PayloadArchive(s3(), c.env.payloadArchiveBucketName());
}

/** What happens to the work when an inbound payload cannot be archived: said in the error line. */
const NEXT: Record<'webhook' | 'relayed-event', string> = {
  webhook: 'answering 503 so the vendor retries',
  'relayed-event': 'the record fails and SQS redelivers it',
};

/** Where an archiver writes its error line: the handler's logger, or a queue record's own. */
export interface ErrorLog {
  error(message: string, fields: Record<string, unknown>): void;
}

/**
 * Archives an inbound payload as received, before it is acted on: an intake's raw body before its
 * events are enqueued, a relayed event before it is judged. A failure is logged once, as an error with
 * the correlation id, on the logger given (a queue consumer's record logger), and thrown: the intake then
 * answers 503 without enqueueing and the vendor sends the body again, or the queue record fails and is
 * redelivered (dedup keys absorb the repeat, and the archive keeps one object per body).
 */
export function inboundArchiver(
  c: Container,
  kind: 'webhook' | 'relayed-event',
): (body: Uint8Array | string, metadata: Omit<ArchivedPayloadMetadata, 'kind'>, log: ErrorLog, contentType?: string) => Promise<void> {
  const archive = payloadArchive(c);
  return async (body, metadata, log, contentType) => {
    try {
      await archive.archive(body, { kind, ...metadata }, contentType);
    } catch (error) {
      log.error(`Inbound payload not archived; ${NEXT[kind]}`, {
        kind,
        correlationId: metadata.correlationId,
        vendor: metadata.vendor,
        instance: metadata.instance,
        reason: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}
