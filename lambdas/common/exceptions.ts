import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OPEN_EXCEPTIONS_INDEX } from './exception-table-schema';

/**
 * A business exception: something a person must look at, with the reason in words they can act on
 * and a hint how to fix it. Never holds payloads or personal data beyond record ids.
 */
export interface BusinessException {
  readonly workflow: string;
  readonly entityType: string;
  /** The record's id in its source system, or our global id. */
  readonly entityId: string;
  readonly reason: string;
  readonly remediation: string;
  readonly correlationId: string;
  readonly source: { readonly vendor: string; readonly instance: string };
  readonly execution?: string;
  readonly legalEntityId?: string;
  /** What the failure holds up, where known: the deal's amount, the invoice's total, the unbilled work. */
  readonly moneyAtStake?: { readonly amountMinor: number; readonly currency: string };
}

/** Where an exception stands: `open` and `retrying` are in the inbox; `resolved` and `ignored` are history. */
export type ExceptionState = 'open' | 'retrying' | 'resolved' | 'ignored';

/** Where exceptions are recorded. */
export interface ExceptionRecorder {
  /** Records (or refreshes) the open exception for the record; `firstSeen` is false for a repeat. */
  record(exception: BusinessException, at: Date): Promise<{ firstSeen: boolean }>;
  /** Closes the open exception of a workflow and record, if any, once a run has succeeded. */
  resolve(key: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>, resolvedBy: string, at: Date): Promise<{ resolved: boolean }>;
}

/** The DynamoDB key of the open exception of a workflow and record (see ExceptionStore in lib/). */
export function openExceptionKey(e: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>): { pk: string; sk: string } {
  return { pk: `EXCEPTION#${e.workflow}#${e.entityType}#${e.entityId}`, sk: 'OPEN' };
}

/** The team that owns a workflow's exceptions for a legal entity (canonical `ownerTeam` over the configuration). */
export type OwnerOf = (workflow: string, legalEntityId: string | undefined) => string;

/**
 * Closes the open item of an exception: its history item first (`<STATE>#<time>`, without the inbox
 * index's keys), then the open item, only if no newer failure refreshed it in between.
 */
export async function closeOpenException(
  documents: DynamoDBDocumentClient,
  tableName: string,
  key: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>,
  outcome: { readonly state: 'resolved' | 'ignored'; readonly by: string; readonly at: Date; readonly note?: string },
): Promise<{ closed: boolean; item?: Record<string, unknown> }> {
  const open = await documents.send(new GetCommand({ TableName: tableName, Key: openExceptionKey(key), ConsistentRead: true }));
  if (open.Item === undefined) return { closed: false };
  const { [OPEN_EXCEPTIONS_INDEX.partitionKey]: _w, [OPEN_EXCEPTIONS_INDEX.sortKey]: _s, ...rest } = open.Item;
  const at = outcome.at.toISOString();
  const history = {
    ...rest,
    sk: `${outcome.state.toUpperCase()}#${at}`,
    state: outcome.state,
    closedBy: outcome.by,
    closedAt: at,
    ...(outcome.note ? { note: outcome.note } : {}),
    // Kept under their old names too: the runbook and existing readers know them.
    ...(outcome.state === 'resolved' ? { resolvedBy: outcome.by, resolvedAt: at } : {}),
  };
  await documents.send(new PutCommand({ TableName: tableName, Item: history }));
  try {
    await documents.send(
      new DeleteCommand({
        TableName: tableName,
        Key: openExceptionKey(key),
        ConditionExpression: 'lastSeenAt = :seen',
        ExpressionAttributeValues: { ':seen': open.Item.lastSeenAt },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return { closed: false };
    throw error;
  }
  return { closed: true, item: history };
}

/**
 * Records exceptions in the exceptions table, one open item per workflow and record (a repeated
 * failure raises its count instead of piling up), and announces each new one on the exception queue.
 * The table is written first: an announcement without a record would point at nothing; a send that
 * fails is retried on the next occurrence, because `announced` is set only after it succeeds.
 */
export class DurableExceptionRecorder implements ExceptionRecorder {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sqs: SQSClient,
    private readonly announcementQueueUrl: string,
    private readonly ownerOf: OwnerOf,
  ) {}

  async record(exception: BusinessException, at: Date): Promise<{ firstSeen: boolean }> {
    const now = at.toISOString();
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: openExceptionKey(exception),
        // A new failure puts a retrying exception back to open; the inbox index's keys are set once.
        UpdateExpression:
          'SET workflow = :workflow, entityType = :entityType, entityId = :entityId, reason = :reason, remediation = :remediation, ' +
          'correlationId = :correlationId, sourceVendor = :vendor, sourceInstance = :instance, lastSeenAt = :now, ' +
          'firstSeenAt = if_not_exists(firstSeenAt, :now), execution = :execution, legalEntityId = :legalEntityId, ' +
          '#state = :open, ownerTeam = :owner, moneyAtStake = :money, #inbox = :workflow, ' +
          '#since = if_not_exists(#since, :since) ADD occurrences :one',
        ExpressionAttributeNames: { '#state': 'state', '#inbox': OPEN_EXCEPTIONS_INDEX.partitionKey, '#since': OPEN_EXCEPTIONS_INDEX.sortKey },
        ExpressionAttributeValues: {
          ':open': 'open',
          ':owner': this.ownerOf(exception.workflow, exception.legalEntityId),
          ':money': exception.moneyAtStake ?? null,
          ':since': `${exception.legalEntityId ?? '-'}#${now}`,
          ':workflow': exception.workflow,
          ':entityType': exception.entityType,
          ':entityId': exception.entityId,
          ':reason': exception.reason,
          ':remediation': exception.remediation,
          ':correlationId': exception.correlationId,
          ':vendor': exception.source.vendor,
          ':instance': exception.source.instance,
          ':now': now,
          ':execution': exception.execution ?? null,
          ':legalEntityId': exception.legalEntityId ?? null,
          ':one': 1,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const firstSeen = Attributes?.occurrences === undefined;
    // Announce until an announcement is known to be sent, so a failed send is retried by the next record.
    if (Attributes?.announced !== true) {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.announcementQueueUrl,
          MessageBody: JSON.stringify({ ...exception, firstSeenAt: Attributes?.firstSeenAt ?? now }),
        }),
      );
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: openExceptionKey(exception),
          UpdateExpression: 'SET announced = :yes',
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
    }
    return { firstSeen };
  }

  async resolve(key: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>, resolvedBy: string, at: Date): Promise<{ resolved: boolean }> {
    const { closed } = await closeOpenException(this.documents, this.tableName, key, { state: 'resolved', by: resolvedBy, at });
    return { resolved: closed };
  }
}

/**
 * The reason in Step Functions' `{ Error, Cause }` as a person reads it: `<Error>: <message>`. In AWS a
 * Lambda failure's Cause is the runtime's JSON error document; its `errorMessage` is the message.
 */
export function failureReason(failure: { readonly Error: string; readonly Cause?: string } | undefined): string {
  const error = failure?.Error ?? 'Unknown';
  let reason = failure?.Cause ?? error;
  try {
    const parsed = JSON.parse(reason) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') reason = parsed.errorMessage;
  } catch {
    // a plain message
  }
  return `${error}: ${reason}`;
}

/**
 * Marks the open exception `retrying` (an operator resumed or restarted its execution) and counts the
 * attempt; false when nothing is open. A failure of the retried
 * execution records it `open` again; its success resolves it.
 */
export async function markExceptionRetrying(
  documents: DynamoDBDocumentClient,
  tableName: string,
  key: Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>,
  retry: { readonly by: string; readonly at: Date; readonly how: 'redrive' | 'restart'; readonly execution: string; readonly attempt: number },
): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: openExceptionKey(key),
        UpdateExpression: 'SET #state = :retrying, retriedBy = :by, retriedAt = :at, lastRetry = :retry, opsAttempts = :attempt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':retrying': 'retrying',
          ':by': retry.by,
          ':at': retry.at.toISOString(),
          ':retry': { how: retry.how, execution: retry.execution },
          ':attempt': retry.attempt,
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
