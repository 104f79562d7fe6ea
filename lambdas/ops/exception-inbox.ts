import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OPEN_EXCEPTIONS_INDEX } from '../common/exception-table-schema';
import { type BusinessException, closeOpenException, type ExceptionState, markExceptionRetrying, openExceptionKey } from '../common/exceptions';

/** An exception as the inbox shows it. */
export interface InboxEntry {
  /** `<workflow>/<entity type>/<entity id>`: how an operator names it in `npm run ops`. */
  readonly ref: string;
  readonly workflow: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly state: ExceptionState;
  readonly ownerTeam: string;
  readonly legalEntityId?: string;
  readonly moneyAtStake?: { readonly amountMinor: number; readonly currency: string };
  readonly reason: string;
  readonly remediation: string;
  readonly occurrences: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly execution?: string;
  readonly correlationId?: string;
  /** Retries an operator started (`npm run ops -- exceptions retry`), and the last one. */
  readonly opsAttempts?: number;
  readonly lastRetry?: { readonly how: 'redrive' | 'restart'; readonly execution: string; readonly by: string; readonly at: string };
  /** Who closed it and when, with their note (history entries only). */
  readonly closed?: { readonly by: string; readonly at: string; readonly note?: string };
}

/** What the list may be narrowed to. */
export interface InboxFilter {
  readonly workflow?: string;
  readonly legalEntityId?: string;
  readonly ownerTeam?: string;
}

type ExceptionKey = Pick<BusinessException, 'workflow' | 'entityType' | 'entityId'>;

/** `opportunity-to-project/opportunity/hubspot-main:42` → its key; undefined when it is not one. */
export function parseExceptionRef(ref: string): ExceptionKey | undefined {
  const [workflow, entityType, ...rest] = ref.split('/');
  const entityId = rest.join('/');
  return workflow && entityType && entityId ? { workflow, entityType, entityId } : undefined;
}

function entryOf(item: Record<string, unknown>): InboxEntry {
  const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const money = item.moneyAtStake as { amountMinor?: unknown; currency?: unknown } | null | undefined;
  const state = (text('state') ?? (String(item.sk).startsWith('RESOLVED#') ? 'resolved' : 'open')) as ExceptionState;
  const by = text('closedBy') ?? text('resolvedBy');
  const at = text('closedAt') ?? text('resolvedAt');
  return {
    ref: `${text('workflow')}/${text('entityType')}/${text('entityId')}`,
    workflow: text('workflow') ?? '',
    entityType: text('entityType') ?? '',
    entityId: text('entityId') ?? '',
    state,
    ownerTeam: text('ownerTeam') ?? 'unassigned',
    ...(text('legalEntityId') ? { legalEntityId: text('legalEntityId')! } : {}),
    ...(money && money.currency !== undefined ? { moneyAtStake: { amountMinor: Number(money.amountMinor), currency: String(money.currency) } } : {}),
    reason: text('reason') ?? '',
    remediation: text('remediation') ?? '',
    occurrences: Number(item.occurrences ?? 0),
    firstSeenAt: text('firstSeenAt') ?? '',
    lastSeenAt: text('lastSeenAt') ?? '',
    ...(text('execution') ? { execution: text('execution')! } : {}),
    ...(text('correlationId') ? { correlationId: text('correlationId')! } : {}),
    ...(item.opsAttempts === undefined ? {} : { opsAttempts: Number(item.opsAttempts) }),
    ...(item.lastRetry && text('retriedBy') && text('retriedAt')
      ? { lastRetry: { ...(item.lastRetry as { how: 'redrive' | 'restart'; execution: string }), by: text('retriedBy')!, at: text('retriedAt')! } }
      : {}),
    ...(by && at ? { closed: { by, at, ...(text('note') ? { note: text('note')! } : {}) } } : {}),
  };
}

/**
 * The exception inbox on the exceptions table: open ones listed from the sparse inbox index (only open
 * and retrying items carry its keys), one exception's open item and history by its key.
 */
export class ExceptionInbox {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The workflows whose partitions `list` reads when no workflow is given. */
    private readonly workflows: readonly string[],
  ) {}

  /** Open and retrying exceptions, oldest first. */
  async list(filter: InboxFilter = {}): Promise<InboxEntry[]> {
    // One query per workflow's partition of the index, all at once: a tick of the metrics reads them all.
    const partition = async (workflow: string): Promise<InboxEntry[]> => {
      const entries: InboxEntry[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: OPEN_EXCEPTIONS_INDEX.name,
            KeyConditionExpression: filter.legalEntityId === undefined ? '#w = :w' : '#w = :w AND begins_with(#s, :entity)',
            ExpressionAttributeNames: {
              '#w': OPEN_EXCEPTIONS_INDEX.partitionKey,
              ...(filter.legalEntityId === undefined ? {} : { '#s': OPEN_EXCEPTIONS_INDEX.sortKey }),
            },
            ExpressionAttributeValues: { ':w': workflow, ...(filter.legalEntityId === undefined ? {} : { ':entity': `${filter.legalEntityId}#` }) },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        entries.push(...(page.Items ?? []).map(entryOf));
        start = page.LastEvaluatedKey;
      } while (start);
      return entries;
    };
    const entries = (await Promise.all((filter.workflow ? [filter.workflow] : this.workflows).map(partition))).flat();
    return entries.filter((e) => filter.ownerTeam === undefined || e.ownerTeam === filter.ownerTeam).sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt));
  }

  /** The open item (if any) and the history of one exception, newest history first. */
  async show(key: ExceptionKey): Promise<{ open?: InboxEntry; history: InboxEntry[] }> {
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': openExceptionKey(key).pk },
        ConsistentRead: true,
      }),
    );
    const open = Items.find((i) => i.sk === 'OPEN');
    const history = Items.filter((i) => i.sk !== 'OPEN')
      .map(entryOf)
      .sort((a, b) => (b.closed?.at ?? '').localeCompare(a.closed?.at ?? ''));
    return { ...(open ? { open: entryOf(open) } : {}), history };
  }

  /** Marks the open exception retrying, with who started which retry; false when nothing is open. */
  async markRetrying(
    key: ExceptionKey,
    retry: { readonly by: string; readonly at: Date; readonly how: 'redrive' | 'restart'; readonly execution: string; readonly attempt: number },
  ) {
    return markExceptionRetrying(this.documents, this.tableName, key, retry);
  }

  /** Resolves or ignores the open exception; false when there is none (or a newer failure just refreshed it). */
  async close(key: ExceptionKey, outcome: { readonly state: 'resolved' | 'ignored'; readonly by: string; readonly at: Date; readonly note?: string }) {
    const { closed, item } = await closeOpenException(this.documents, this.tableName, key, outcome);
    return closed && item ? { closed: true as const, entry: entryOf(item) } : { closed: false as const };
  }
}
