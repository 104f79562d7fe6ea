import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { queryPartition } from '../common/dynamodb-partition';
import type { BillingLedger, ContractRecord, LedgerInvoice, RecordWorkOutcome } from '../ports/billing-ledger';
import type { ExpenseToBill, InvoiceDraft, TimeEntryToBill } from '../ports/billing-values';
import type { PostedInvoice } from '../ports/erp';
import type { ApprovedWork, PsaProjectRef } from '../ports/psa';

const project = (psa: PsaProjectRef) => `${psa.instance}#${psa.projectId}`;
const projectOf = (key: string): PsaProjectRef => {
  const [instance, ...rest] = key.split('#');
  return { instance: instance!, projectId: rest.join('#') };
};
const keys = {
  contracts: (psa: PsaProjectRef) => ({ pk: 'CONTRACTS', sk: project(psa) }),
  contractId: (contractId: string) => ({ pk: `CONTRACTID#${contractId}`, sk: 'CONTRACT' }),
  contract: (psa: PsaProjectRef) => ({ pk: `CONTRACT#${project(psa)}`, sk: 'CONTRACT' }),
  work: (psa: PsaProjectRef, work: ApprovedWork) => ({ pk: `WORK#${project(psa)}`, sk: `${work.kind}#${work.item.id}` }),
  period: (month: string, psa: PsaProjectRef) => ({ pk: `PERIOD#${month}`, sk: project(psa) }),
  invoice: (psa: PsaProjectRef, periodStart: string) => ({ pk: `INVOICE#${project(psa)}`, sk: periodStart }),
  page: (psa: PsaProjectRef, periodStart: string, page: number) => ({
    pk: `INVOICE#${project(psa)}`,
    sk: `${periodStart}#PAGE#${String(page).padStart(5, '0')}`,
  }),
};

/**
 * The billing ledger on DynamoDB (table layout: `lib/billing-ledger-table.ts`). An invoice's billed ids
 * live in pages beside it from the moment it is drafted, so a later period's run sees them as billed
 * even before the PSA is marked: work can be on one invoice only.
 */
export class DynamoDbBillingLedger implements BillingLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordContract(contract: ContractRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.contract(contract.psa), contract: JSON.stringify(contract) } }));
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: keys.contracts(contract.psa) }));
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.contractId(contract.terms.contractId), psa: project(contract.psa) } }));
  }

  async contractById(contractId: string): Promise<ContractRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.contractId(contractId), ConsistentRead: true }));
    return typeof Item?.psa === 'string' ? this.contractOf(projectOf(Item.psa)) : undefined;
  }

  async contracts(): Promise<PsaProjectRef[]> {
    return (await this.queryAll('CONTRACTS')).map((item) => projectOf(String(item.sk)));
  }

  async contractOf(psa: PsaProjectRef): Promise<ContractRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.contract(psa), ConsistentRead: true }));
    return typeof Item?.contract === 'string' ? (JSON.parse(Item.contract) as ContractRecord) : undefined;
  }

  async recordWork(psa: PsaProjectRef, work: ApprovedWork, version: string): Promise<RecordWorkOutcome> {
    const billed = (await this.history(psa)).billedIds.has(work.item.id);
    if (billed) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.work(psa, work), ConsistentRead: true }));
      // A new approval of the same content (a weekly timecard approved again for another day's change)
      // changes nothing that was billed; only different hours, rates or amounts need a person.
      return Item?.version === version || Item?.item === JSON.stringify(work.item) ? 'unchanged' : 'changed-after-billing';
    }
    const date = work.kind === 'time' ? work.item.workDate : work.item.incurredOn;
    try {
      // Versions are ISO instants of approval: a redelivered or older approval does not overwrite a newer one.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.work(psa, work), kind: work.kind, date, version, item: JSON.stringify(work.item) },
          ConditionExpression: 'attribute_not_exists(pk) OR version < :version',
          ExpressionAttributeValues: { ':version': version },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'unchanged';
      throw error;
    }
    // Listed under the month worked and the month approved: a late entry is billed by the next run.
    for (const month of new Set([date.slice(0, 7), version.slice(0, 7)]))
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: keys.period(month, psa) }));
    return 'recorded';
  }

  async recordMilestoneCompleted(psa: PsaProjectRef, milestoneKey: string, completedOn: string): Promise<'recorded' | 'unchanged'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `WORK#${project(psa)}`, sk: `milestone#${milestoneKey}`, kind: 'milestone', date: completedOn },
          // The first completion counts: reopening and completing again bills nothing more.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'unchanged';
      throw error;
    }
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: keys.period(completedOn.slice(0, 7), psa) }));
    return 'recorded';
  }

  async workOf(psa: PsaProjectRef): Promise<{
    time: TimeEntryToBill[];
    expenses: ExpenseToBill[];
    milestonesCompleted: Map<string, string>;
    history: { billedIds: Set<string>; timeBilledMinor: number };
  }> {
    const work = await this.queryAll(`WORK#${project(psa)}`);
    return {
      time: work.filter((w) => w.kind === 'time').map((w) => JSON.parse(String(w.item)) as TimeEntryToBill),
      expenses: work.filter((w) => w.kind === 'expense').map((w) => JSON.parse(String(w.item)) as ExpenseToBill),
      milestonesCompleted: new Map(work.filter((w) => w.kind === 'milestone').map((w) => [String(w.sk).slice('milestone#'.length), String(w.date)])),
      history: await this.history(psa),
    };
  }

  /** What the project's invoices bill: every id on any invoice's pages, and the time billed against the cap. */
  private async history(psa: PsaProjectRef): Promise<{ billedIds: Set<string>; timeBilledMinor: number }> {
    const billedIds = new Set<string>();
    let timeBilledMinor = 0;
    for (const item of await this.queryAll(`INVOICE#${project(psa)}`)) {
      if (String(item.sk).includes('#PAGE#')) for (const id of item.ids as string[]) billedIds.add(id);
      else timeBilledMinor += Number(item.timeMinor ?? 0);
    }
    return { billedIds, timeBilledMinor };
  }

  async projectsWithWorkIn(month: string): Promise<PsaProjectRef[]> {
    return (await this.queryAll(`PERIOD#${month}`)).map((item) => projectOf(String(item.sk)));
  }

  async invoiceOf(psa: PsaProjectRef, periodStart: string): Promise<LedgerInvoice | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.invoice(psa, periodStart), ConsistentRead: true }));
    return Item ? this.invoiceFrom(psa, periodStart, Item) : undefined;
  }

  async saveDraft(psa: PsaProjectRef, draft: InvoiceDraft, pageSize: number): Promise<LedgerInvoice> {
    const { billedIds, ...rest } = draft;
    const pages = Math.ceil(billedIds.length / pageSize);
    // Pages first: a draft item without its pages could bill their work twice.
    for (let page = 0; page < pages; page++) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.page(psa, draft.periodStart, page), ids: billedIds.slice(page * pageSize, (page + 1) * pageSize) },
        }),
      );
    }
    const timeMinor = draft.lines.filter((l) => l.kind === 'time').reduce((sum, l) => sum + l.amount.amountMinor, 0);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.invoice(psa, draft.periodStart), status: 'drafted', draft: JSON.stringify(rest), pages, timeMinor },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return (await this.invoiceOf(psa, draft.periodStart))!;
  }

  async billedIdsPage(psa: PsaProjectRef, periodStart: string, page: number): Promise<string[]> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.page(psa, periodStart, page), ConsistentRead: true }));
    return (Item?.ids as string[] | undefined) ?? [];
  }

  async recordInvoiceKey(invoiceGlobalId: string, psa: PsaProjectRef, periodStart: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: `INVOICEID#${invoiceGlobalId}`, sk: 'INVOICE', psa: project(psa), periodStart } }),
    );
  }

  async invoiceByGlobalId(invoiceGlobalId: string): Promise<{ psa: PsaProjectRef; periodStart: string } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `INVOICEID#${invoiceGlobalId}`, sk: 'INVOICE' }, ConsistentRead: true }),
    );
    return typeof Item?.psa === 'string' ? { psa: projectOf(Item.psa), periodStart: String(Item.periodStart) } : undefined;
  }

  async recordPosted(psa: PsaProjectRef, periodStart: string, posted: PostedInvoice & { postingDate: string }): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.invoice(psa, periodStart),
          UpdateExpression: 'SET #status = :posted, posted = :invoice',
          ConditionExpression: '#status IN (:drafted, :posted)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':posted': 'posted', ':drafted': 'drafted', ':invoice': JSON.stringify(posted) },
        }),
      )
      .catch((error: unknown) => {
        // Already marked: a late retry of the post step, nothing to record.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async markBilled(psa: PsaProjectRef, periodStart: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      for (const kind of ['time', 'expense'] as const) {
        await this.client
          .send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: `WORK#${project(psa)}`, sk: `${kind}#${id}` },
              UpdateExpression: 'SET billedBy = :invoice',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':invoice': periodStart },
            }),
          )
          .catch((error: unknown) => {
            // Milestones and retainers have no work item; an id is a time entry or an expense, not both.
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          });
      }
    }
  }

  async recordMarked(psa: PsaProjectRef, periodStart: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.invoice(psa, periodStart),
        UpdateExpression: 'SET #status = :marked',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':marked': 'marked' },
      }),
    );
  }

  private invoiceFrom(psa: PsaProjectRef, periodStart: string, item: Record<string, unknown>): LedgerInvoice {
    return {
      key: { psa, periodStart },
      status: item.status as LedgerInvoice['status'],
      draft: JSON.parse(String(item.draft)) as LedgerInvoice['draft'],
      pages: Number(item.pages),
      timeMinor: Number(item.timeMinor ?? 0),
      ...(typeof item.posted === 'string' ? { posted: JSON.parse(item.posted) as LedgerInvoice['posted'] } : {}),
    };
  }

  private queryAll(pk: string): Promise<Record<string, unknown>[]> {
    return queryPartition(this.client, this.tableName, pk);
  }
}
