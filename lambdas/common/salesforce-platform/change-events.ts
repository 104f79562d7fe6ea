import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { Workflow } from '../../../canonical/workflows';
import { remediationFor, SyncError } from '../errors';
import type { BusinessException } from '../exceptions';
import { metrics } from '../runtime';

/**
 * Salesforce Change Data Capture events as Event Relay delivers them on EventBridge (docs/vendors/salesforce.md):
 * the record under `detail.payload`, its `ChangeEventHeader` saying which records changed and how.
 * Pure functions: parse, fan out per record, tell changed from enriched fields, recognise our own
 * writes coming back, and order by commit exactly.
 */

/** Every change type CDC sends; GAP_* carry no field values, GAP_OVERFLOW not even record ids. */
export const ChangeType = z.enum(['CREATE', 'UPDATE', 'DELETE', 'UNDELETE', 'GAP_CREATE', 'GAP_UPDATE', 'GAP_DELETE', 'GAP_UNDELETE', 'GAP_OVERFLOW']);

/** The header, with `commitNumber` kept as text: it can exceed 2^53. */
export const ChangeEventHeader = z.object({
  entityName: z.string().min(1),
  recordIds: z.array(z.string()),
  changeType: ChangeType,
  changedFields: z.array(z.string()).default([]),
  changeOrigin: z.string().default(''),
  transactionKey: z.string().min(1),
  sequenceNumber: z.number().int().nonnegative(),
  commitTimestamp: z.number().int().nonnegative(),
  commitNumber: z.string().regex(/^\d{1,38}$/),
  commitUser: z.string().min(1),
});
/** A change event header. */
export type ChangeEventHeader = z.infer<typeof ChangeEventHeader>;

/**
 * A relayed event whose version fields are not plain unsigned integers (`"12abc"`, `1.5e3`, `-4`): refused
 * and recorded, never acted on. Read leniently, one of them would be misread as another commit and, if
 * high, make every later real change of the record look stale.
 */
export class MalformedChangeEventError extends SyncError {
  override readonly name = 'MalformedChangeEvent';
}

/** `commitNumber` as it stands in the text: the whole token, a JSON number or a string of at most 38 digits. */
const COMMIT_NUMBER = /"commitNumber"\s*:\s*(?:"(\d{1,38})"|(\d{1,38}))\s*[,}]/;
/** Whatever stands after `"commitNumber":`, for the refusal's message. */
const COMMIT_NUMBER_TOKEN = /"commitNumber"\s*:\s*("[^"]{0,40}"?|[^,}\s]{0,40})/;

/** The encoding is not the one we can read; refused loudly rather than misread. */
export class UnsupportedChangeEncodingError extends SyncError {
  override readonly name = 'UnsupportedChangeEncoding';
}

/**
 * Reads an Event Relay event from the raw text it arrived in (the SQS body). `commitNumber` is taken
 * from the text itself, because JSON.parse turns a number above 2^53 into the wrong number.
 */
export function parseRelayedChange(rawBody: string): { header: ChangeEventHeader; fields: Record<string, unknown>; detailType: string } {
  const token = COMMIT_NUMBER.exec(rawBody);
  const raw = token?.[1] ?? token?.[2];
  const event = JSON.parse(rawBody) as { 'detail-type'?: string; detail?: { payload?: Record<string, unknown> } };
  const payload = event.detail?.payload;
  if (payload === undefined) throw new Error('The event has no detail.payload: is it an Event Relay change event?');
  const { ChangeEventHeader: header, ...fields } = payload as { ChangeEventHeader?: Record<string, unknown> };
  if (header === undefined) throw new Error('detail.payload has no ChangeEventHeader');
  const changedFields = header.changedFields as unknown;
  // Pub/Sub delivers changedFields as hex bitmaps and dates as epoch numbers; without the schema to
  // decode them, reading them as names would be wrong, so they are refused.
  if (Array.isArray(changedFields) && changedFields.some((f) => typeof f === 'string' && /^0x[0-9A-Fa-f]+$/.test(f))) {
    throw new UnsupportedChangeEncodingError(
      'changedFields is a Pub/Sub bitmap (0x...); decode it with the event schema before relaying, or relay the JSON encoding',
    );
  }
  if (raw === undefined) {
    throw new MalformedChangeEventError(
      `commitNumber must be a plain unsigned integer of at most 38 digits, not ${COMMIT_NUMBER_TOKEN.exec(rawBody)?.[1] ?? 'missing'}`,
    );
  }
  const parsed = ChangeEventHeader.safeParse({ ...header, commitNumber: raw });
  if (!parsed.success) {
    throw new MalformedChangeEventError(
      `The ChangeEventHeader is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { header: parsed.data, fields, detailType: event['detail-type'] ?? '' };
}

/** What one record's change asks of us. */
export type RecordChange =
  | {
      readonly action: 'apply';
      readonly recordId: string;
      readonly changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
      readonly changed: Readonly<Record<string, unknown>>;
      readonly enriched: Readonly<Record<string, unknown>>;
      readonly dedupKey: string;
    }
  | { readonly action: 'reread'; readonly recordId: string; readonly dedupKey: string }
  | { readonly action: 'reconcile-entity'; readonly entityName: string };

/** Flattens compound fields (`BillingAddress: { Street }`) to the dotted names CDC lists them by. */
function flatten(fields: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(flatten(v as Record<string, unknown>, `${prefix}${k}.`))
        : [[`${prefix}${k}`, v]],
    ),
  );
}

/**
 * One change per record id: a multi-record event (a merged transaction) fans out. Fields listed in
 * `changedFields` are changes; other fields present are enrichment and never treated as changes.
 * The dedup key is docs/vendors/salesforce.md's: transactionKey + sequenceNumber + record id.
 */
export function fanOut(header: ChangeEventHeader, fields: Record<string, unknown>): RecordChange[] {
  if (header.changeType === 'GAP_OVERFLOW') return [{ action: 'reconcile-entity', entityName: header.entityName }];
  const key = (recordId: string) => `${header.transactionKey}:${header.sequenceNumber}:${recordId}`;
  if (header.changeType.startsWith('GAP_')) return header.recordIds.map((recordId) => ({ action: 'reread', recordId, dedupKey: key(recordId) }));
  const flat = flatten(fields);
  const listed = new Set(header.changedFields);
  const changed = Object.fromEntries(Object.entries(flat).filter(([k]) => listed.has(k) || [...listed].some((l) => k.startsWith(`${l}.`))));
  const enriched = Object.fromEntries(Object.entries(flat).filter(([k]) => !(k in changed)));
  return header.recordIds.map((recordId) => ({
    action: 'apply',
    recordId,
    changeType: header.changeType as 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE',
    changed,
    enriched,
    dedupKey: key(recordId),
  }));
}

/** Who we are in Salesforce, and what we wrote recently. */
export interface OwnIdentity {
  /** The client id we send in `Sforce-Call-Options: client=<id>`. */
  readonly clientId: string;
  readonly integrationUserId: string;
  /** Record ids we wrote, with when; automation in a later transaction lacks our client id. */
  readonly recentWrites: ReadonlyMap<string, number>;
  /** How long after our write a change on the same record counts as its echo. @default 60_000 */
  readonly echoWindowMs?: number;
}

/** Why a change is our own write coming back, or undefined if it is not. */
export function echoReason(header: ChangeEventHeader, recordId: string, own: OwnIdentity): string | undefined {
  // changeOrigin looks like `com/salesforce/api/rest/64.0;client=ps-sync`: compare the token exactly.
  if (header.changeOrigin.split(';').some((part) => part.trim() === `client=${own.clientId}`)) {
    return `changeOrigin names our client ${own.clientId}`;
  }
  if (header.commitUser === own.integrationUserId) return `committed by our integration user ${own.integrationUserId}`;
  const wroteAt = own.recentWrites.get(recordId);
  if (wroteAt !== undefined && header.commitTimestamp >= wroteAt && header.commitTimestamp - wroteAt <= (own.echoWindowMs ?? 60_000)) {
    return `within ${own.echoWindowMs ?? 60_000} ms of our own write to ${recordId}`;
  }
  return undefined;
}

/** Orders changes by commit exactly (BigInt commit numbers), then by sequence within a transaction. */
export function compareCommits(
  a: Pick<ChangeEventHeader, 'commitNumber' | 'sequenceNumber'>,
  b: Pick<ChangeEventHeader, 'commitNumber' | 'sequenceNumber'>,
): number {
  const x = BigInt(a.commitNumber);
  const y = BigInt(b.commitNumber);
  return x < y ? -1 : x > y ? 1 : a.sequenceNumber - b.sequenceNumber;
}

/**
 * The exception a refused relayed change is recorded as: one open item per org, its count rising with
 * each refusal, so a stream of malformed events is one thing to look at rather than thousands.
 */
export function malformedChangeException(
  workflow: Workflow,
  source: { readonly vendor: 'salesforce' | 'certinia'; readonly instance: string },
  error: MalformedChangeEventError,
  correlationId: string,
): BusinessException {
  return {
    workflow,
    entityType: 'relayed-change',
    entityId: `${source.instance}:malformed-change-event`,
    reason: error.message,
    remediation: remediationFor(workflow, 'MalformedChangeEvent'),
    correlationId,
    source,
  };
}

/**
 * Reads a relayed change with `read`, or, when it is malformed, records the refusal (one exception per
 * org), counts it and logs why, and returns undefined: a retry could not make it readable, so the
 * message is acknowledged, never acted on.
 */
export async function readRelayedOrRefuse<T>(
  read: () => T,
  refusal: {
    readonly workflow: Workflow;
    readonly source: { readonly vendor: 'salesforce' | 'certinia'; readonly instance: string };
    readonly correlationId: string;
    readonly record: (exception: BusinessException) => Promise<unknown>;
    /** The record's logger (sqs-consumer.ts). */
    readonly log: Logger;
  },
): Promise<T | undefined> {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof MalformedChangeEventError)) throw error;
    await refusal.record(malformedChangeException(refusal.workflow, refusal.source, error, refusal.correlationId));
    metrics.addMetric(`RelayedChange-refused`, 'Count', 1);
    refusal.log.warn('Relayed change event refused', { ...refusal.source, reason: error.message });
    return undefined;
  }
}
