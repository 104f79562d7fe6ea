import type { JournalEntry, WriteJournal } from '../../lambdas/common/write-journal';

/** The write journal in memory: the fake of `DynamoDbWriteJournal`, whose own test runs on dynalite. */
export class InMemoryWriteJournal implements WriteJournal {
  readonly scopes = new Map<string, Map<string, JournalEntry>>();

  async entries(scope: string): Promise<Map<string, JournalEntry>> {
    return new Map(this.scopes.get(scope) ?? []);
  }

  async begin(scope: string, key: string): Promise<void> {
    this.scope(scope).set(key, { state: 'pending' });
  }

  async done(scope: string, key: string, value: string): Promise<void> {
    this.scope(scope).set(key, { state: 'done', value });
  }

  private scope(scope: string): Map<string, JournalEntry> {
    let entries = this.scopes.get(scope);
    if (entries === undefined) this.scopes.set(scope, (entries = new Map()));
    return entries;
  }
}
