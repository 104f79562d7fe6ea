import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// End to end: a deal won in the CRM sandbox makes the project and its contract (workflow 1); time and
// expenses approved in the Kantata sandbox are polled on their schedule; a billing run request makes the
// invoice in the NetSuite sandbox and marks the work invoiced in Kantata.
let env: LocalEnvironment;
let sqs: SQSClient;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  env = await startLocalEnvironment({
    logLevel: 'SILENT',
    retryIntervalOverrides: shortRetries(),
  });
  sqs = new SQSClient({ endpoint: env.stack.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
}, 120_000);
afterAll(async () => env?.stop());

/** A deal won in HubSpot for a legal entity, with rates for two roles; returns the Kantata workspace of its project. */
async function winDeal(
  company: string,
  entity: { legalEntity: string; currency: string; taxProfile: string; country: string; milestone?: boolean } = {
    legalEntity: 'acme-us',
    currency: 'USD',
    taxProfile: 'US-EXEMPT',
    country: 'US',
    milestone: true,
  },
): Promise<string> {
  const created = (await (
    await fetch(`${env.hubspot.url}/__sandbox/deals`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        deal: {
          dealname: `${company} rollout`,
          dealstage: 'contractsent',
          amount: '125000',
          deal_currency_code: entity.currency,
          closedate: '2026-10-30',
          ps_legal_entity: entity.legalEntity,
          ps_business_unit: 'delivery',
          ps_tax_profile: entity.taxProfile,
          ps_billing_terms: 'time-and-materials',
          ps_payment_terms: 'NET30',
          ps_contract_start: '2026-11-01',
          ps_expense_markup: '10',
        },
        company: { name: company, country: entity.country },
        lineItems: [
          { name: 'Consultant', price: '165.50', ps_line_type: 'rate', ps_effective_from: '2026-11-01', ps_effective_to: '2027-03-31' },
          { name: 'Principal', price: '275', ps_line_type: 'rate', ps_effective_from: '2026-11-01' },
          { name: 'Delivery', ps_line_type: 'task' },
          ...(entity.milestone ? [{ name: 'Design signed off', price: '25000', quantity: '1', ps_line_type: 'milestone' }] : []),
        ],
      }),
    })
  ).json()) as { id: string };
  await fetch(`${env.hubspot.url}/__sandbox/deals/${created.id}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
  await env.settled();
  return String(env.hubspot.object('deals', created.id)?.properties.ps_psa_project_id);
}

const roleId = (name: string) => env.kantata.objects('roles').find((r) => r.name === name)!.id;
async function logTime(workspace: string, role: string, date: string, minutes: number, billable = true): Promise<string> {
  const response = await fetch(`${env.kantata.url}/__sandbox/time_entries`, {
    method: 'POST',
    body: JSON.stringify({
      workspace_id: workspace,
      user_id: '5521',
      role_id: roleId(role),
      date_performed: date,
      time_in_minutes: minutes,
      billable,
      approved: true,
    }),
  });
  return ((await response.json()) as { id: string }).id;
}
async function logExpense(workspace: string, date: string, cents: number): Promise<string> {
  const response = await fetch(`${env.kantata.url}/__sandbox/expenses`, {
    method: 'POST',
    body: JSON.stringify({
      workspace_id: workspace,
      user_id: '5521',
      date,
      category: 'Travel',
      amount_in_cents: cents,
      currency: 'USD',
      billable: true,
      approved: true,
    }),
  });
  return ((await response.json()) as { id: string }).id;
}
const poll = async () => {
  await env.stack.scheduler.fire('KantataPollSchedule-kantata-global');
  await env.settled();
};
const bill = async (period: string, revision = 1) => {
  await sqs.send(
    new SendMessageCommand({ QueueUrl: env.stack.queueUrls.get('BillingRunRequests')!, MessageBody: JSON.stringify({ reason: 'manual', period, revision }) }),
  );
  await env.settled();
};
const milestoneStory = (workspace: string) => env.kantata.objects('stories').find((st) => st.workspace_id === workspace && st.story_type === 'milestone')!;
const setStory = (id: string, state: string) => fetch(`${env.kantata.url}/__sandbox/stories/${id}`, { method: 'PATCH', body: JSON.stringify({ state }) });
const invoicesOf = (customerId: string) => env.netsuite.us.records('invoice').filter((i) => (i.entity as { id: string }).id === customerId);
type Line = { description: string; amount: number; item: { id: string } };

describe('time and expenses to invoice on the local stack', () => {
  let workspace: string;
  let customerId: string;
  const billed: string[] = [];
  let nonBillable: string;

  it('bills a period of billable and non-billable time at several rates and an expense as exactly one invoice, with its number back in Kantata', async () => {
    workspace = await winDeal('Umbrella');
    customerId = String(env.netsuite.us.records('customer').find((c) => c.companyName === 'Umbrella')!.id);
    billed.push(await logTime(workspace, 'Consultant', '2026-11-18', 450));
    billed.push(await logTime(workspace, 'Consultant', '2026-11-19', 480));
    billed.push(await logTime(workspace, 'Principal', '2026-11-20', 120));
    nonBillable = await logTime(workspace, 'Consultant', '2026-11-21', 180, false);
    billed.push(await logExpense(workspace, '2026-11-19', 12000));

    await poll();
    await bill('2026-11');

    const [invoice, ...others] = invoicesOf(customerId);
    expect(others).toEqual([]);
    expect((invoice!.item as { items: Line[] }).items.map((l) => [l.item.id, l.amount])).toEqual([
      ['101', 2565.25], // Consultant 15.5 h at 165.50
      ['101', 550], // Principal 2 h at 275
      ['102', 132], // Travel 120.00 with 10 % markup
    ]);
    expect(invoice).toMatchObject({ externalId: expect.stringMatching(/:2026-11-01$/), tranDate: '2026-11-30', total: 3247.25, currency: { id: '1' } });
    const [kantataInvoice] = env.kantata.objects('invoices');
    expect(kantataInvoice).toMatchObject({
      workspace_id: workspace,
      user_invoice_number: expect.any(Number),
      user_invoice_title: invoice!.tranId,
      total_in_cents: 324725,
      invoice_date: '2026-11-30',
    });
    const invoicedIds = [...env.kantata.objects('time_entries'), ...env.kantata.objects('expenses')]
      .filter((e) => e.invoice_id === kantataInvoice!.id)
      .map((e) => e.id);
    expect(invoicedIds.sort()).toEqual([...billed].sort());
    expect(env.kantata.objects('time_entries').find((t) => t.id === nonBillable)?.invoice_id).toBeUndefined();
    expect(env.stack.stepFunctions.executions.find((e) => e.name === `kantata-global-${workspace}-2026-11-r1`)?.status).toBe('SUCCEEDED');
    // Billing health on the customer's account in the CRM.
    const company = env.hubspot.objects('companies').find((c) => c.properties.name === 'Umbrella')!;
    expect(company.properties).toMatchObject({
      ps_billing_status: 'invoiced',
      ps_last_invoice_number: invoice!.tranId,
      ps_last_invoice_date: '2026-11-30',
      ps_last_invoice_total: '3247.25 USD',
    });
  });

  it('changes nothing when the period runs again, the poll repeats, or the same request comes twice', async () => {
    const before = { netsuite: env.netsuite.us.records('invoice').length, kantata: env.kantata.objects('invoices').length };

    await poll();
    await bill('2026-11');
    await bill('2026-11', 2);

    expect({ netsuite: env.netsuite.us.records('invoice').length, kantata: env.kantata.objects('invoices').length }).toEqual(before);
    expect(env.stack.stepFunctions.executions.find((e) => e.name === `kantata-global-${workspace}-2026-11-r2`)?.status).toBe('SUCCEEDED');
  });

  it('puts time approved after its period was invoiced on the next invoice, riding out NetSuite 429s', async () => {
    const late = await logTime(workspace, 'Consultant', '2026-11-28', 60);
    await poll();
    env.netsuite.us.injectFault({
      method: 'PUT',
      pathPrefix: '/services/rest/record/v1/invoice',
      times: 2,
      response: {
        status: 429,
        json: {
          type: 'https://www.rfc-editor.org/rfc/rfc9110#section-15.5.30',
          title: 'Too Many Requests',
          status: 429,
          'o:errorDetails': [{ detail: 'Concurrent request limit exceeded. Request blocked.', 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }],
        },
      },
    });

    await bill('2026-12');

    const invoices = invoicesOf(customerId);
    expect(
      env.netsuite.us.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/services/rest/record/v1/invoice') && r.status === 429),
    ).toHaveLength(2);
    expect(invoices).toHaveLength(2);
    const december = invoices.find((i) => String(i.externalId).endsWith(':2026-12-01'))!;
    expect((december.item as { items: Line[] }).items.map((l) => [l.item.id, l.amount])).toEqual([['101', 165.5]]);
    expect(invoices.find((i) => String(i.externalId).endsWith(':2026-11-01'))!.total).toBe(3247.25);
    expect(env.kantata.objects('time_entries').find((t) => t.id === late)?.invoice_id).toBe(
      env.kantata.objects('invoices').find((i) => i.user_invoice_title === december.tranId)!.id,
    );
  });

  it('bills a completed milestone once, however often it is completed, on the invoice of the period it was completed in', async () => {
    const story = milestoneStory(workspace);
    await setStory(story.id, 'completed');
    await poll();
    await setStory(story.id, 'started');
    await setStory(story.id, 'completed');
    await poll();

    await bill('2026-12', 2);
    await bill('2026-12', 3);

    const december = invoicesOf(customerId).find((i) => String(i.externalId).endsWith(':2026-12-01'))!;
    // December's invoice was posted and marked before the milestone: it stays as it was.
    expect((december.item as { items: Line[] }).items.map((l) => l.item.id)).toEqual(['101']);
    await bill('2027-01');
    const all = invoicesOf(customerId).flatMap((i) =>
      (i.item as { items: Line[] }).items.filter((l) => l.item.id === '103').map((l) => [String(i.externalId).slice(-10), l.amount, l.description]),
    );
    expect(all).toEqual([['2027-01-01', 25000, 'Design signed off']]);
  });

  it('carries payments on the invoice back to Kantata and to the CRM account, partial then in full, once each', async () => {
    const november = invoicesOf(customerId).find((i) => String(i.externalId).endsWith(':2026-11-01'))!;
    const kantataInvoice = () => env.kantata.objects('invoices').find((i) => i.user_invoice_title === november.tranId)!;
    const pay = async (amount: number) => {
      await fetch(`${env.netsuite.us.url}/__sandbox/payments`, { method: 'POST', body: JSON.stringify({ invoice: november.id, amount }) });
      await env.stack.scheduler.fire('NetSuitePaymentPollSchedule-netsuite-us');
      await env.settled();
    };

    await pay(1000);
    expect(kantataInvoice()).toMatchObject({ payment_status: 'partially paid', balance_in_cents: 224725 });
    await pay(2247.25);
    await env.stack.scheduler.fire('NetSuitePaymentPollSchedule-netsuite-us');
    await env.settled();

    expect(kantataInvoice()).toMatchObject({ payment_status: 'paid', balance_in_cents: 0 });
    const company = env.hubspot.objects('companies').find((c) => c.properties.name === 'Umbrella')!;
    expect(company.properties).toMatchObject({ ps_billing_status: 'paid', ps_last_invoice_number: november.tranId });
    const paymentWrites = env.kantata.requests.filter((r) => r.method === 'PUT' && r.path === `/api/v1/invoices/${String(kantataInvoice().id)}.json`);
    expect(paymentWrites).toHaveLength(2);
  });
});

describe('time and expenses to invoice with Business Central as the ERP', () => {
  const instance = 'business-central-uk';
  // The public URL the renewal job registers; the local network routes it to the local API.
  const notificationUrl = () => `${env.stack.webhookBaseUrl}webhooks/business-central/${instance}`;
  const localNotificationUrl = () => `${env.stack.apiUrl}webhooks/business-central/${instance}`;
  const ourSubscription = () => [...env.businessCentral.subscriptions.values()].find((s) => s.notificationUrl === notificationUrl());
  let workspace: string;
  let invoiceId: string;

  it('subscribes our webhook in Business Central, which checked it by the validation handshake', async () => {
    await env.settled();

    expect(ourSubscription()).toMatchObject({
      resource: expect.stringContaining(`companies(${env.businessCentral.companyId})/salesInvoices`),
      clientState: 'local-bc-client-state',
    });
  });

  it('posts the period as one Business Central invoice with the number and tax BC assigned, back in Kantata and the CRM', async () => {
    workspace = await winDeal('Wayne Enterprises UK', { legalEntity: 'acme-uk', currency: 'GBP', taxProfile: 'UK-VAT', country: 'GB' });
    await logTime(workspace, 'Consultant', '2026-11-18', 450);
    await logTime(workspace, 'Consultant', '2026-11-19', 480);
    await logTime(workspace, 'Principal', '2026-11-20', 120);
    await logTime(workspace, 'Consultant', '2026-11-21', 180, false);
    await fetch(`${env.kantata.url}/__sandbox/expenses`, {
      method: 'POST',
      body: JSON.stringify({
        workspace_id: workspace,
        user_id: '5521',
        date: '2026-11-19',
        category: 'Travel',
        amount_in_cents: 12000,
        currency: 'GBP',
        billable: true,
        approved: true,
      }),
    });

    await poll();
    await bill('2026-11', 4);

    const customer = env.businessCentral.customers().find((c) => c.displayName === 'Wayne Enterprises UK')!;
    expect(env.businessCentral.projects().map((p) => p.displayName)).toContain('Wayne Enterprises UK rollout');
    const [invoice, ...others] = env.businessCentral.invoices().filter((i) => i.customerId === customer.id);
    expect(others).toEqual([]);
    invoiceId = invoice!.id;
    expect(invoice).toMatchObject({
      status: 'Open',
      number: expect.stringMatching(/^PS-INV\d+$/),
      externalDocumentNumber: expect.stringMatching(/^PS[0-9A-F]{32}$/),
      invoiceDate: '2026-11-30',
      totalAmountExcludingTax: 3247.25,
    });
    expect(invoice!.salesInvoiceLines!.map((l) => [l.lineObjectNumber, l.quantity, l.unitPrice])).toEqual([
      ['1000', 15.5, 165.5],
      ['1000', 2, 275],
      ['1001', 1, 132],
    ]);
    // Every contract with November work billed again at revision 4, one execution at a time (the local billingRuns.maxConcurrent): the other waited its turn.
    const runs = env.stack.stepFunctions.executions.filter((e) => e.name.endsWith('-2026-11-r4'));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const mostAtOnce = Math.max(...runs.map((e) => runs.filter((o) => o.startDate <= e.startDate && (o.stopDate ?? Infinity) > e.startDate).length));
    expect(mostAtOnce).toBe(1);
    const kantataInvoice = env.kantata.objects('invoices').find((i) => i.workspace_id === workspace)!;
    expect(kantataInvoice).toMatchObject({
      // Kantata numbers its invoices (an integer); the ERP's number is the title.
      user_invoice_number: expect.any(Number),
      user_invoice_title: invoice!.number,
      tax_in_cents: Math.round(invoice!.totalTaxAmount * 100),
      total_in_cents: Math.round(invoice!.totalAmountIncludingTax * 100),
    });
    const company = env.hubspot.objects('companies').find((c) => c.properties.name === 'Wayne Enterprises UK')!;
    expect(company.properties).toMatchObject({
      ps_billing_status: 'invoiced',
      ps_last_invoice_number: invoice!.number,
      ps_last_invoice_total: `${invoice!.totalAmountIncludingTax.toFixed(2)} GBP`,
    });
  });

  it('hears a payment from the Business Central webhook, re-reads the invoice and marks it paid in Kantata and the CRM', async () => {
    const invoice = env.businessCentral.invoice(invoiceId)!;

    const statuses = await env.businessCentral.pay(invoiceId, invoice.totalAmountIncludingTax.toFixed(2));
    await env.settled();

    expect(statuses).toEqual([200]);
    expect(env.kantata.objects('invoices').find((i) => i.workspace_id === workspace)).toMatchObject({ payment_status: 'paid', balance_in_cents: 0 });
    expect(env.hubspot.objects('companies').find((c) => c.properties.name === 'Wayne Enterprises UK')!.properties.ps_billing_status).toBe('paid');
  });

  it('answers 200 to a notification with a wrong clientState, records why, and acts on nothing', async () => {
    const kantataWrites = env.kantata.requests.length;
    const forged = {
      value: [
        {
          subscriptionId: ourSubscription()!.subscriptionId,
          clientState: 'forged',
          resource: `api/v2.0/companies(${env.businessCentral.companyId})/salesInvoices(${invoiceId})`,
          changeType: 'updated',
          lastModifiedDateTime: new Date().toISOString(),
        },
      ],
    };

    const response = await fetch(localNotificationUrl(), { method: 'POST', headers: json, body: JSON.stringify(forged) });
    await env.settled();

    expect(response.status).toBe(200);
    expect(env.kantata.requests.length).toBe(kantataWrites);
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
    );
    const { Items } = await ddb.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }));
    expect(
      Items!.filter((i) => String(i.pk).startsWith(`EXCEPTION#invoice-payment-status#business-central-notification#${instance}:`)).map((i) => i.reason),
    ).toEqual(['notification 0 has a clientState that is not ours']);
    expect(ourSubscription()).toBeDefined();
  });

  it('lists the changed invoices when Business Central sends one collection notification for over 1,000 changes', async () => {
    // Listing the company's sales invoices (by lastModifiedDateTime) is the catch-up; a re-read names one invoice.
    const listed = () => env.businessCentral.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/salesInvoices')).length;
    const before = listed();

    const statuses = await env.businessCentral.change(`api/v2.0/companies(${env.businessCentral.companyId})/salesInvoices`, 1001);
    await env.settled();

    expect(statuses).toEqual([200]);
    expect(listed()).toBe(before + 1);
  });

  it('renews the subscription when a day or less is left, before its three days run out', async () => {
    const subscription = ourSubscription()!;
    env.businessCentral.ageSubscription(subscription.subscriptionId, 3 * 3600 * 1000);
    const aged = Date.parse(ourSubscription()!.expirationDateTime);

    await env.stack.scheduler.fire(`BusinessCentralSubscriptionRenewal-${instance}`);
    await env.settled();

    expect(ourSubscription()!.subscriptionId).toBe(subscription.subscriptionId);
    expect(Date.parse(ourSubscription()!.expirationDateTime) - aged).toBeGreaterThan(2 * 24 * 3600 * 1000);
    expect([...env.businessCentral.subscriptions.values()].filter((s) => s.notificationUrl === notificationUrl())).toHaveLength(1);
  });
});
