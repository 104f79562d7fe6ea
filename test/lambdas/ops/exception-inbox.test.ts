import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BusinessException, DurableExceptionRecorder } from '../../../lambdas/common/exceptions';
import { ExceptionInbox } from '../../../lambdas/ops/exception-inbox';
import { TABLE_KEYS } from '../../../lib/topology/tables';
import { type DynaliteTable, startDynalite } from '../../support/dynalite';

// The inbox on a real DynamoDB API (dynalite) with the table's own keys and index: what the recorder
// writes is what the inbox lists, and closing takes an exception out of the index into its history.
let db: DynaliteTable;
let recorder: DurableExceptionRecorder;
let inbox: ExceptionInbox;
const announced: unknown[] = [];

beforeAll(async () => {
  db = await startDynalite('exceptions', TABLE_KEYS.exceptions);
  const sqs = { send: async (command: unknown) => void announced.push(command) } as unknown as SQSClient;
  const owners: Record<string, string> = { 'opportunity-to-project': 'sales-operations', 'time-to-invoice': 'finance' };
  recorder = new DurableExceptionRecorder(db.documents, 'exceptions', sqs, 'https://sqs.local/announcements', (workflow, legalEntityId) =>
    legalEntityId === 'acme-uk' ? 'finance-uk' : owners[workflow]!,
  );
  inbox = new ExceptionInbox(db.documents, 'exceptions', ['opportunity-to-project', 'time-to-invoice']);
});
afterAll(async () => db?.close());

const failure = (entityId: string, overrides: Partial<BusinessException> = {}): BusinessException => ({
  workflow: 'opportunity-to-project',
  entityType: 'opportunity',
  entityId,
  reason: 'OpportunityInvalid: the deal names no business unit',
  remediation: 'Fix the fields named above on the deal, then increase its sync revision to run it again.',
  correlationId: `corr-${entityId}`,
  source: { vendor: 'hubspot', instance: 'hubspot-main' },
  legalEntityId: 'acme-us',
  moneyAtStake: { amountMinor: 12_500_000, currency: 'USD' },
  ...overrides,
});

describe('the exception inbox', () => {
  it('lists the same failure recorded three times as one open exception, counted, with owner and money at stake', async () => {
    for (const hour of ['08', '09', '10']) await recorder.record(failure('hubspot-main:1'), new Date(`2026-12-01T${hour}:00:00Z`));

    expect(await inbox.list()).toEqual([
      expect.objectContaining({
        ref: 'opportunity-to-project/opportunity/hubspot-main:1',
        state: 'open',
        ownerTeam: 'sales-operations',
        legalEntityId: 'acme-us',
        moneyAtStake: { amountMinor: 12_500_000, currency: 'USD' },
        occurrences: 3,
        firstSeenAt: '2026-12-01T08:00:00.000Z',
        lastSeenAt: '2026-12-01T10:00:00.000Z',
      }),
    ]);
    expect(announced).toHaveLength(1);
  });

  it('narrows by workflow, legal entity and owner, oldest first across workflows', async () => {
    await recorder.record(
      failure('acme-uk:2026-11', { workflow: 'time-to-invoice', entityType: 'billing-run', legalEntityId: 'acme-uk' }),
      new Date('2026-11-30T23:00:00Z'),
    );
    await recorder.record(failure('hubspot-main:2', { legalEntityId: 'acme-uk' }), new Date('2026-12-02T08:00:00Z'));

    expect((await inbox.list()).map((e) => e.entityId)).toEqual(['acme-uk:2026-11', 'hubspot-main:1', 'hubspot-main:2']);
    expect((await inbox.list({ workflow: 'time-to-invoice' })).map((e) => [e.entityId, e.ownerTeam])).toEqual([['acme-uk:2026-11', 'finance-uk']]);
    expect((await inbox.list({ legalEntityId: 'acme-uk' })).map((e) => e.entityId)).toEqual(['acme-uk:2026-11', 'hubspot-main:2']);
    expect((await inbox.list({ ownerTeam: 'sales-operations' })).map((e) => e.entityId)).toEqual(['hubspot-main:1']);
  });

  it('takes a resolved or ignored exception out of the index into its history, with who, when and why', async () => {
    const key = { workflow: 'opportunity-to-project', entityType: 'opportunity', entityId: 'hubspot-main:1' };
    const resolved = await inbox.close(key, { state: 'resolved', by: 'arn:aws:iam::1:user/ana', at: new Date('2026-12-02T09:00:00Z'), note: 'unit added' });
    expect(resolved).toMatchObject({ closed: true, entry: { state: 'resolved', closed: { by: 'arn:aws:iam::1:user/ana', note: 'unit added' } } });
    expect(await inbox.close(key, { state: 'ignored', by: 'arn:aws:iam::1:user/ana', at: new Date('2026-12-02T09:01:00Z') })).toEqual({ closed: false });

    expect((await inbox.list()).map((e) => e.entityId)).not.toContain('hubspot-main:1');
    const shown = await inbox.show(key);
    expect(shown.open).toBeUndefined();
    expect(shown.history).toEqual([
      expect.objectContaining({ state: 'resolved', occurrences: 3, closed: expect.objectContaining({ at: '2026-12-02T09:00:00.000Z' }) }),
    ]);
  });

  it('opens it again, counted from one, when the record fails after it was closed', async () => {
    await recorder.record(failure('hubspot-main:1'), new Date('2026-12-03T08:00:00Z'));
    const shown = await inbox.show({ workflow: 'opportunity-to-project', entityType: 'opportunity', entityId: 'hubspot-main:1' });
    expect(shown.open).toMatchObject({ state: 'open', occurrences: 1, firstSeenAt: '2026-12-03T08:00:00.000Z' });
    expect(shown.history).toHaveLength(1);
  });
});
