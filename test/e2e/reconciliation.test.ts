import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsTarget, runOps } from '../../bin/ops';
import { invoiceGlobalId } from '../../lambdas/common/billing-keys';
import { tokenBasedAuthorization } from '../../lambdas/netsuite/oauth1';
import type { ReconciliationReport } from '../../lambdas/ports/reconciliation-reports';
import { LOCAL_OPERATOR } from '../../local/aws/local-operator';
import { LOCAL_CREDENTIALS, type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// Reconciliation of PSA billing against ERP postings on the local stack: a month billed for a won deal,
// then the Kantata invoice deleted, the NetSuite invoice's total changed beyond the tolerance and an
// orphan registry link added; a reconciliation run finds exactly those three, records the invoice in
// Kantata again (once) and puts the other two in the inbox with their money at stake.
let env: LocalEnvironment;
let sqs: SQSClient;
let ddb: DynamoDBDocumentClient;
let target: OpsTarget;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
  const local = { endpoint: '', region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } };
  sqs = new SQSClient({ ...local, endpoint: env.stack.endpoints.sqs });
  ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: env.stack.endpoints.dynamodb }));
  target = { url: env.stack.opsApiUrl!, region: 'us-east-1', credentials: LOCAL_OPERATOR };
}, 120_000);
afterAll(async () => env?.stop());

async function winDeal(company: string, overrides: Record<string, string> = {}): Promise<string> {
  const created = (await (
    await fetch(`${env.hubspot.url}/__sandbox/deals`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        deal: {
          dealname: `${company} rollout`,
          dealstage: 'contractsent',
          amount: '125000',
          deal_currency_code: 'USD',
          closedate: '2026-10-30',
          ps_legal_entity: 'acme-us',
          ps_business_unit: 'delivery',
          ps_tax_profile: 'US-EXEMPT',
          ps_billing_terms: 'time-and-materials',
          ps_payment_terms: 'NET30',
          ps_contract_start: '2026-11-01',
          ...overrides,
        },
        company: { name: company, country: 'US' },
        lineItems: [
          { name: 'Consultant', price: '165.50', ps_line_type: 'rate', ps_effective_from: '2026-11-01' },
          { name: 'Delivery', ps_line_type: 'task' },
        ],
      }),
    })
  ).json()) as { id: string };
  await fetch(`${env.hubspot.url}/__sandbox/deals/${created.id}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
  await env.settled();
  return String(env.hubspot.object('deals', created.id)?.properties.ps_psa_project_id);
}

async function logTime(workspace: string, date: string, minutes: number): Promise<void> {
  const role = env.kantata.objects('roles').find((r) => r.name === 'Consultant')!.id;
  await fetch(`${env.kantata.url}/__sandbox/time_entries`, {
    method: 'POST',
    body: JSON.stringify({ workspace_id: workspace, user_id: '5521', role_id: role, date_performed: date, time_in_minutes: minutes, approved: true }),
  });
}

const send = async (queue: string, body: unknown) => {
  await sqs.send(new SendMessageCommand({ QueueUrl: env.stack.queueUrls.get(queue)!, MessageBody: JSON.stringify(body) }));
  await env.settled();
};
const reconciliationExceptions = async () =>
  ((await ddb.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? []).filter(
    (i) => i.workflow === 'reconciliation' && i.sk === 'OPEN',
  );

describe('reconciliation of PSA billing against ERP postings on the local stack', () => {
  let externalId: string;
  let erpTotal: number;

  it('bills a month, then finds exactly the invoice missing in Kantata (repaired), the amount changed in NetSuite and the orphan registry link', async () => {
    const workspace = await winDeal('Initech');
    await logTime(workspace, '2026-11-18', 480);
    await env.stack.scheduler.fire('KantataPollSchedule-kantata-global');
    await env.settled();
    await send('BillingRunRequests', { reason: 'manual', period: '2026-11', revision: 1 });
    const [erpInvoice] = env.netsuite.us.records('invoice');
    const [psaInvoice] = env.kantata.objects('invoices');
    expect(psaInvoice).toMatchObject({ workspace_id: workspace, total_in_cents: 132400 });
    externalId = String(erpInvoice!.externalId);

    // Someone deletes the invoice in Kantata, an accountant edits the NetSuite total, and a bad link lands in the registry.
    expect((await fetch(`${env.kantata.url}/__sandbox/invoices/${psaInvoice!.id}`, { method: 'DELETE' })).status).toBe(204);
    erpTotal = 1324 + 50;
    await fetch(`${env.netsuite.us.url}/__sandbox/invoices/${erpInvoice!.id}`, { method: 'PATCH', body: JSON.stringify({ total: erpTotal }) });
    await ddb.send(
      new PutCommand({
        TableName: env.stack.tableNames.crossReferences,
        Item: {
          pk: `GLOBAL#${invoiceGlobalId(externalId)}`,
          sk: 'LINK#netsuite#netsuite-us',
          entityType: 'invoice',
          vendor: 'netsuite',
          instance: 'netsuite-us',
          state: 'completed',
          nativeId: '999999',
        },
      }),
    );

    await send('ReconciliationRequests', { reason: 'manual', legalEntity: 'acme-us', period: '2026-11' });

    const recorded = env.kantata.objects('invoices');
    expect(recorded).toEqual([expect.objectContaining({ workspace_id: workspace, user_invoice_title: erpInvoice!.tranId, total_in_cents: 132400 })]);
    const report = JSON.parse(
      (await runOps(['--json', 'reconcile', 'report', '--legal-entity', 'acme-us', '--period', '2026-11'], target)).output,
    ) as ReconciliationReport;
    expect(report.findings.map((f) => [f.kind, f.status, f.moneyAtStake])).toEqual([
      ['missing-in-psa', 'repaired', { amountMinor: 137400, currency: 'USD' }],
      ['amount-mismatch', 'exception', { amountMinor: 5000, currency: 'USD' }],
      ['orphan-reference', 'exception', { amountMinor: 132400, currency: 'USD' }],
    ]);
    const open = await reconciliationExceptions();
    expect(open.map((e) => [e.entityType, e.entityId, e.moneyAtStake, e.legalEntityId]).sort()).toEqual([
      ['invoice', `amount-mismatch:${externalId}`, { amountMinor: 5000, currency: 'USD' }, 'acme-us'],
      ['invoice', `orphan-reference:${externalId}:netsuite:netsuite-us`, { amountMinor: 132400, currency: 'USD' }, 'acme-us'],
    ]);
  });

  it('runs again from the ops CLI: nothing more is recorded in Kantata, the two exceptions are refreshed, not duplicated', async () => {
    const run = await runOps(['reconcile', 'run', '--legal-entity', 'acme-us', '--period', '2026-11'], target);
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain('amount-mismatch');
    expect(run.output).not.toContain('missing-in-psa');
    expect(env.kantata.objects('invoices')).toHaveLength(1);
    expect(await reconciliationExceptions()).toHaveLength(2);

    const listed = await runOps(['--json', 'reconcile', 'report', '--legal-entity', 'acme-us', '--period', '2026-11'], target);
    const report = JSON.parse(listed.output) as ReconciliationReport;
    expect(report.findings.map((f) => f.kind)).toEqual(['amount-mismatch', 'orphan-reference']);
    expect(report.summary['amount-mismatch']).toEqual({ count: 1, moneyAtStake: { USD: 5000 } });
  });

  it('fires on its daily schedule for the region’s legal entities', async () => {
    await env.stack.scheduler.fire('DailyBillingReconciliation');
    await env.settled();
    // The schedule reconciles the month before and the current one; the earlier reports stay as they are.
    expect(env.kantata.objects('invoices')).toHaveLength(1);
  });
});

// A migration wave: acme-ca moves from its own NetSuite account (netsuite-ca) onto the group's OneWorld
// account (netsuite-us), its `parallelRun` ERP in the local configuration. The migration loads acme-ca's
// invoices into netsuite-us with the same external reference; the reconciliation compares the two ERPs'
// invoices of the month in the same report.
describe('the parallel run of a migration wave on the local stack', () => {
  /** What the migration's load does: a customer and an invoice written to netsuite-us through its REST API, signed as any TBA integration signs. */
  async function loadIntoParallelErp(externalId: string, amount: number, tranDate: string): Promise<void> {
    const post = async (type: string, body: unknown) => {
      const url = `${env.netsuite.us.url}/services/rest/record/v1/${type}`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...json, authorization: tokenBasedAuthorization(LOCAL_CREDENTIALS.netsuiteUs, 'POST', url) },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(204);
      return String(response.headers.get('location')).split('/').pop()!;
    };
    const customer = await post('customer', { companyName: 'Initrode Canada', subsidiary: { id: '1' }, currency: { id: '3' } });
    await post('invoice', {
      externalId,
      entity: { id: customer },
      tranDate,
      currency: { id: '3' },
      item: { items: [{ item: { id: '101' }, amount }] },
    });
  }

  it('reports the invoices the parallel-run ERP lacks, then what it holds differently or alone, filed against it', async () => {
    const workspace = await winDeal('Initrode Canada', { ps_legal_entity: 'acme-ca', deal_currency_code: 'CAD' });
    await logTime(workspace, '2026-11-19', 240);
    await env.stack.scheduler.fire('KantataPollSchedule-kantata-global');
    await env.settled();
    await send('BillingRunRequests', { reason: 'manual', period: '2026-11', revision: 1 });
    const [primary] = env.netsuite.ca.records('invoice');
    expect(primary).toMatchObject({ total: 662 });
    const externalId = String(primary!.externalId);

    // Before the load: the primary's invoice is missing in the parallel-run ERP.
    const before = JSON.parse(
      (await runOps(['--json', 'reconcile', 'run', '--legal-entity', 'acme-ca', '--period', '2026-11'], target)).output,
    ) as ReconciliationReport;
    expect(before.compared).toMatchObject({ erp: 1, parallelErp: 0 });
    expect(before.findings.map((f) => [f.kind, f.status, f.moneyAtStake, f.erp?.instance])).toEqual([
      ['missing-in-parallel-erp', 'exception', { amountMinor: 66200, currency: 'CAD' }, 'netsuite-ca'],
    ]);

    // The load: the invoice 12.00 short (a tax line mapped to nothing) and dated a day late (the load's time
    // zone, into December), and one the primary never had.
    await loadIntoParallelErp(externalId, 650, '2026-12-01');
    const contract = externalId.slice(0, externalId.lastIndexOf(':'));
    await loadIntoParallelErp(`${contract}:2026-11-15`, 100, '2026-11-15');

    const run = await runOps(['reconcile', 'run', '--legal-entity', 'acme-ca', '--period', '2026-11'], target);
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain('parallel-run ERP 2');
    const report = JSON.parse(
      (await runOps(['--json', 'reconcile', 'report', '--legal-entity', 'acme-ca', '--period', '2026-11'], target)).output,
    ) as ReconciliationReport;
    expect(report.findings.map((f) => [f.kind, f.externalId, f.moneyAtStake, f.parallelErp?.instance])).toEqual([
      ['parallel-amount-mismatch', externalId, { amountMinor: 1200, currency: 'CAD' }, 'netsuite-us'],
      ['parallel-date-mismatch', externalId, { amountMinor: 66200, currency: 'CAD' }, 'netsuite-us'],
      ['only-in-parallel-erp', `${contract}:2026-11-15`, { amountMinor: 10000, currency: 'CAD' }, 'netsuite-us'],
    ]);
    // The first finding's exception is closed by the run that no longer finds it; the new ones are the migration's, on netsuite-us.
    const openOf = async () =>
      (await reconciliationExceptions())
        .filter((e) => e.legalEntityId === 'acme-ca')
        .map((e) => [e.entityId, e.sourceInstance])
        .sort();
    const migration = [
      [`only-in-parallel-erp:${contract}:2026-11-15`, 'netsuite-us'],
      [`parallel-amount-mismatch:${externalId}`, 'netsuite-us'],
      [`parallel-date-mismatch:${externalId}`, 'netsuite-us'],
    ];
    expect(await openOf()).toEqual(migration);

    // December's report does not count the late-dated invoice again: it bills November.
    const december = JSON.parse(
      (await runOps(['--json', 'reconcile', 'run', '--legal-entity', 'acme-ca', '--period', '2026-12'], target)).output,
    ) as ReconciliationReport;
    expect(december).toMatchObject({ compared: { erp: 0, parallelErp: 0 }, findings: [] });

    // The parallel-run ERP down: one finding says so, the rest of the run goes on, the migration's findings stay open.
    await fetch(`${env.netsuite.us.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ method: 'GET', pathPrefix: '/services/rest/record/v1/invoice', times: 1000, response: { status: 503 } }),
    });
    const down = JSON.parse(
      (await runOps(['--json', 'reconcile', 'run', '--legal-entity', 'acme-ca', '--period', '2026-11'], target)).output,
    ) as ReconciliationReport;
    await fetch(`${env.netsuite.us.url}/__sandbox/faults`, { method: 'DELETE' });
    expect(down.compared).toEqual({ ledger: 1, erp: 1, psa: 1, references: expect.any(Number) });
    expect(down.findings.map((f) => [f.kind, f.moneyAtStake])).toEqual([['parallel-erp-unreadable', { amountMinor: 66200, currency: 'CAD' }]]);
    expect(await openOf()).toEqual([[`parallel-erp-unreadable:netsuite-us`, 'netsuite-us'], ...migration].sort());
    // Nothing was written to either ERP by the reconciliation.
    expect(env.netsuite.us.records('invoice').filter((i) => String(i.externalId).startsWith(contract))).toHaveLength(2);
    expect(env.netsuite.ca.records('invoice')).toHaveLength(1);
  });
});
