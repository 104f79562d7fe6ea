/**
 * The progress of a step that makes several records in a vendor without idempotency keys (Kantata):
 * each write is marked `pending` before it is sent and `done`, with the id it produced, after. A retry
 * reads the journal once and resumes at the first write not known to be done; only a write left
 * `pending` (sent, answer lost) costs a lookup in the vendor. Keys are scoped to one record of ours
 * (`<instance>#<global id>`), so a later execution of the same project resumes too.
 */
export type JournalEntry = { readonly state: 'pending' } | { readonly state: 'done'; readonly value: string };

/** The journal port; `DynamoDbWriteJournal` keeps it in the cross-reference table. */
export interface WriteJournal {
  /** Every entry of a scope, by key. */
  entries(scope: string): Promise<Map<string, JournalEntry>>;
  /** Marks a write as about to be sent. */
  begin(scope: string, key: string): Promise<void>;
  /** Records what a write produced (an id), or a value read once and kept (a list of ids). */
  done(scope: string, key: string, value: string): Promise<void>;
}

/** One step's view of its journal: read once, kept current as the step writes. */
export class JournalProgress {
  /**
   * True when nothing of this part was recorded when the step began: records made before the journal
   * existed, or by a step whose journal writes failed, may exist and must be looked for.
   */
  readonly blank: boolean;

  private constructor(
    private readonly journal: WriteJournal,
    private readonly scope: string,
    private readonly known: Map<string, JournalEntry>,
    part: string,
  ) {
    this.blank = ![...known.keys()].some((key) => key.startsWith(`${part}/`));
  }

  /**
   * The progress of one part of a scope (its keys start with `<part>/`). A part that may begin from
   * nothing is marked by {@link WriteJournal.done} of `<part>/fresh` when its parent is made.
   */
  static async load(journal: WriteJournal, scope: string, part: string): Promise<JournalProgress> {
    return new JournalProgress(journal, scope, await journal.entries(scope), part);
  }

  /**
   * The value of the write `key`: recorded, found (when an earlier attempt sent it and lost the answer,
   * or the scope predates the journal), or made now.
   */
  async once(key: string, find: () => Promise<string | undefined>, make: () => Promise<string>): Promise<string> {
    const entry = this.known.get(key);
    if (entry?.state === 'done') return entry.value;
    if (entry?.state === 'pending' || this.blank) {
      const found = await find();
      if (found !== undefined) return this.record(key, found);
    }
    if (entry === undefined) await this.journal.begin(this.scope, key);
    this.known.set(key, { state: 'pending' });
    return this.record(key, await make());
  }

  /** The value of `key` if recorded done. */
  value(key: string): string | undefined {
    const entry = this.known.get(key);
    return entry?.state === 'done' ? entry.value : undefined;
  }

  async record(key: string, value: string): Promise<string> {
    await this.journal.done(this.scope, key, value);
    this.known.set(key, { state: 'done', value });
    return value;
  }
}

/** A journal that remembers nothing: every write is looked for before it is made. */
export const NO_JOURNAL: WriteJournal = {
  entries: async () => new Map(),
  begin: async () => undefined,
  done: async () => undefined,
};
