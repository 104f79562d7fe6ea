import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

/** One vendor write, as the audit trail keeps it: what, when, which execution, payload hash, result. */
export interface AuditEntry {
  readonly vendor: string;
  readonly instance: string;
  /** The vendor record type: `customer`, `job`, `workspace`, `deal`. */
  readonly recordType: string;
  /** Our key for the record: external id or global id. */
  readonly recordKey: string;
  readonly operation: string;
  readonly execution: string;
  readonly correlationId: string;
  /** The payload sent; only its SHA-256 is stored. */
  readonly payload: unknown;
  readonly result: 'ok' | 'rejected' | 'failed';
  /** HTTP status or vendor code. */
  readonly status: string;
  readonly at: Date;
}

/** How a write ended, from its HTTP status: throttling and 5xx failed (retried), other refusals were rejected. */
export function auditResult(status: number, ok: boolean): AuditEntry['result'] {
  if (ok) return 'ok';
  return status === 429 || status >= 500 ? 'failed' : 'rejected';
}

/** Where vendor writes are recorded. */
export interface AuditTrail {
  record(entry: AuditEntry): Promise<void>;
}

/** A payload as canonical JSON (object keys sorted): the bytes {@link payloadHash} hashes and the payload archive keeps. */
export function canonicalJson(payload: unknown): string {
  const canonical = JSON.stringify(payload, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  ) as string | undefined;
  return canonical ?? 'undefined';
}

/** Stable SHA-256 of a JSON payload (keys sorted), so the same write always hashes the same; the key of its archived copy. */
export function payloadHash(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

/**
 * The audit trail on DynamoDB. Entries are only ever put, guarded by `attribute_not_exists`, and the
 * writer's IAM policy allows PutItem alone, so an entry cannot be changed once written.
 */
export class DynamoDbAuditTrail implements AuditTrail {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const at = entry.at.toISOString();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${entry.vendor}#${entry.instance}#${entry.recordType}#${entry.recordKey}`,
          sk: `${at}#${entry.execution}#${entry.operation}`,
          operation: entry.operation,
          execution: entry.execution,
          correlationId: entry.correlationId,
          payloadSha256: payloadHash(entry.payload),
          result: entry.result,
          status: entry.status,
          at,
          expiresAt: Math.floor(entry.at.getTime() / 1000) + this.retentionDays * 86400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}

/**
 * When we last wrote a record, from the audit trail: the change intake's own-write log, so a change
 * that automation made in a later transaction (without our client id) is still recognised as ours.
 */
export async function lastWriteAt(
  client: DynamoDBDocumentClient,
  tableName: string,
  record: Pick<AuditEntry, 'vendor' | 'instance' | 'recordType' | 'recordKey'>,
): Promise<Date | undefined> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${record.vendor}#${record.instance}#${record.recordType}#${record.recordKey}` },
      // Sort keys start with the ISO time: the last one is the newest write.
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const at = Items[0]?.at;
  return typeof at === 'string' ? new Date(at) : undefined;
}
