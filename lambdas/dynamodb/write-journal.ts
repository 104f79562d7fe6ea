import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { queryPartition } from '../common/dynamodb-partition';
import type { JournalEntry, WriteJournal } from '../common/write-journal';

/**
 * The write journal in the cross-reference table, one partition per scope
 * (`JOURNAL#<scope>`, sort key the write's key): one query reads a step's whole progress.
 */
export class DynamoDbWriteJournal implements WriteJournal {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async entries(scope: string): Promise<Map<string, JournalEntry>> {
    const items = await queryPartition(this.client, this.tableName, `JOURNAL#${scope}`);
    return new Map(
      items.map((item): [string, JournalEntry] => [
        String(item.sk),
        item.state === 'done' ? { state: 'done', value: String(item.value) } : { state: 'pending' },
      ]),
    );
  }

  async begin(scope: string, key: string): Promise<void> {
    await this.put(scope, key, { state: 'pending' });
  }

  async done(scope: string, key: string, value: string): Promise<void> {
    await this.put(scope, key, { state: 'done', value });
  }

  private async put(scope: string, key: string, attributes: Record<string, string>): Promise<void> {
    const at = this.now();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `JOURNAL#${scope}`, sk: key, ...attributes, at: at.toISOString() },
      }),
    );
  }
}
