import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalProgress } from '../../../lambdas/common/write-journal';
import { DynamoDbWriteJournal } from '../../../lambdas/dynamodb/write-journal';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { startDynalite } from '../../support/dynalite';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('crossReferences', TABLE_KEYS.crossReferences);
});
afterAll(async () => db.close());

describe('the write journal on DynamoDB', () => {
  it('resumes a step: a done write is not repeated, a pending one is looked for first, a new one is made', async () => {
    const journal = new DynamoDbWriteJournal(db.documents, 'crossReferences');
    const made: string[] = [];
    const looked: string[] = [];
    const first = await JournalProgress.load(journal, 'kantata-global#g-1', 'story');
    await first.once(
      'story/task/A',
      async () => undefined,
      async () => (made.push('A'), 'sA'),
    );
    // The answer to B is lost: the write was sent, its id never came back.
    await expect(
      first.once(
        'story/task/B',
        async () => undefined,
        async () => Promise.reject(new Error('reset')),
      ),
    ).rejects.toThrow('reset');

    const retry = await JournalProgress.load(journal, 'kantata-global#g-1', 'story');
    const ids = [
      await retry.once(
        'story/task/A',
        async () => (looked.push('A'), undefined),
        async () => (made.push('A again'), 'x'),
      ),
      await retry.once(
        'story/task/B',
        async () => (looked.push('B'), 'sB'),
        async () => (made.push('B again'), 'x'),
      ),
      await retry.once(
        'story/task/C',
        async () => (looked.push('C'), undefined),
        async () => (made.push('C'), 'sC'),
      ),
    ];

    expect(ids).toEqual(['sA', 'sB', 'sC']);
    expect(made).toEqual(['A', 'C']);
    expect(looked).toEqual(['B']);
    expect(retry.blank).toBe(false);
    expect([...(await journal.entries('kantata-global#g-1')).entries()]).toEqual([
      ['story/task/A', { state: 'done', value: 'sA' }],
      ['story/task/B', { state: 'done', value: 'sB' }],
      ['story/task/C', { state: 'done', value: 'sC' }],
    ]);
  });

  it('looks for every write of a part it has never journalled: the records may predate the journal', async () => {
    const journal = new DynamoDbWriteJournal(db.documents, 'crossReferences');
    // Another part's progress says nothing of this one: the plan was journalled, the rate card never was.
    await journal.done('kantata-global#g-legacy', 'story/task/A', 's1');
    const progress = await JournalProgress.load(journal, 'kantata-global#g-legacy', 'rate-card');

    const found = await progress.once(
      'rate-card/set',
      async () => 'existing',
      async () => 'made',
    );
    const made = await progress.once(
      'rate-card/card',
      async () => undefined,
      async () => 'made',
    );

    expect([progress.blank, found, made]).toEqual([true, 'existing', 'made']);
    expect((await journal.entries('kantata-global#g-other')).size).toBe(0);
  });
});
