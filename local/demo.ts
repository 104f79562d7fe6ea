import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalEnvironment, startLocalEnvironment } from './local-environment';

// Lambda runs Node 24; the SDK's warning about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const json = { 'content-type': 'application/json' };
const example = (file: string) => JSON.parse(readFileSync(join(__dirname, 'examples', file), 'utf8')) as Record<string, unknown>;

/** The example deal, or the same deal sold by the UK entity, whose ERP is Business Central. */
function exampleDeal(erp: 'netsuite' | 'business-central'): Record<string, unknown> {
  const deal = example('deal.json') as { deal: Record<string, string>; company: Record<string, string> };
  if (erp === 'netsuite') return deal;
  return {
    ...deal,
    deal: { ...deal.deal, ps_legal_entity: 'acme-uk', deal_currency_code: 'GBP', ps_tax_profile: 'UK-VAT' },
    company: { ...deal.company, country: 'GB', city: 'London' },
  };
}

/** A person wins a deal in the HubSpot sandbox; HubSpot calls our webhook. Returns the deal id. */
async function winHubSpotDeal(env: LocalEnvironment, erp: 'netsuite' | 'business-central'): Promise<string> {
  const created = (await (
    await fetch(`${env.hubspot.url}/__sandbox/deals`, { method: 'POST', headers: json, body: JSON.stringify(exampleDeal(erp)) })
  ).json()) as { id: string };
  console.log(`HubSpot: deal ${created.id} created; a person moves it to closedwon ...`);
  await fetch(`${env.hubspot.url}/__sandbox/deals/${created.id}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
  return created.id;
}

/** A person wins an opportunity in the Salesforce sandbox; Event Relay puts the change on the partner bus. */
async function winSalesforceOpportunity(env: LocalEnvironment): Promise<string> {
  const { account, opportunity, lineItems } = example('salesforce-opportunity.json') as { account: object; opportunity: object; lineItems: object[] };
  const post = async (type: string, body: object) =>
    ((await (await fetch(`${env.salesforce.url}/__sandbox/sobjects/${type}`, { method: 'POST', body: JSON.stringify(body) })).json()) as { id: string }).id;
  const accountId = await post('Account', account);
  const id = await post('Opportunity', { ...opportunity, AccountId: accountId });
  for (const line of lineItems) await post('OpportunityLineItem', { ...line, OpportunityId: id });
  await env.settled();
  console.log(`Salesforce: opportunity ${id} created; a person moves it to Closed Won ...`);
  await fetch(`${env.salesforce.url}/__sandbox/sobjects/Opportunity/${id}`, { method: 'PATCH', body: JSON.stringify({ StageName: 'Closed Won' }) });
  return id;
}

/**
 * A month of work on the new project: people log time at two rates (and some non-billable) and an
 * expense in the Kantata sandbox and approve it; the poll schedule fires; a billing run for the month
 * makes the ERP invoice and records it in Kantata. With Business Central, the customer then pays in BC,
 * whose webhook brings the payment back to Kantata and the CRM. Returns what to print.
 */
async function billMonth(env: LocalEnvironment, workspace: string, month: string, erp: 'netsuite' | 'business-central'): Promise<string> {
  const role = (name: string) => env.kantata.objects('roles').find((r) => r.name === name)!.id;
  const log = (collection: string, body: object) =>
    fetch(`${env.kantata.url}/__sandbox/${collection}`, {
      method: 'POST',
      body: JSON.stringify({ workspace_id: workspace, user_id: '5521', approved: true, ...body }),
    });
  await log('time_entries', { role_id: role('Consultant'), date_performed: `${month}-02`, time_in_minutes: 450 });
  await log('time_entries', { role_id: role('Consultant'), date_performed: `${month}-03`, time_in_minutes: 480 });
  await log('time_entries', { role_id: role('Principal'), date_performed: `${month}-04`, time_in_minutes: 120 });
  await log('time_entries', { role_id: role('Consultant'), date_performed: `${month}-05`, time_in_minutes: 180, billable: false });
  await log('expenses', {
    date: `${month}-03`,
    category: 'Travel',
    amount_in_cents: 12000,
    currency: erp === 'business-central' ? 'GBP' : 'USD',
    billable: true,
  });
  console.log(
    `Kantata: 4 time entries (one non-billable) and an expense approved on workspace ${workspace}; the poll schedule fires, then a billing run for ${month} ...`,
  );
  const started = Date.now();
  await env.stack.scheduler.fire(env.stack.topology.schedules.find((n) => n.startsWith('KantataPollSchedule-'))!);
  await env.settled();
  await new SQSClient({
    endpoint: env.stack.endpoints.sqs,
    region: env.config.regions[0]!.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }).send(
    new SendMessageCommand({ QueueUrl: env.stack.queueUrls.get('BillingRunRequests')!, MessageBody: JSON.stringify({ reason: 'manual', period: month }) }),
  );
  await env.settled();
  const execution = env.stack.stepFunctions.executions.find((e) => e.name.includes(`-${workspace}-${month}-`));
  if (erp === 'business-central') return businessCentralReport(env, workspace, execution, started);
  const invoice = [...env.netsuite.us.records('invoice'), ...env.netsuite.ca.records('invoice')].find((i) => String(i.externalId).endsWith(`:${month}-01`));
  const lines = ((invoice?.item as { items?: { description: string; amount: number }[] } | undefined)?.items ?? []).map((l) => `${l.description}: ${l.amount}`);
  const kantataInvoice = env.kantata.objects('invoices').find((i) => i.workspace_id === workspace);
  return `
Billing run ${execution?.name ?? '(none)'}: ${execution?.status ?? 'not started'}, ${Date.now() - started} ms
  NetSuite        invoice ${JSON.stringify(invoice ? { id: invoice.id, tranId: invoice.tranId, tranDate: invoice.tranDate, total: invoice.total, taxTotal: invoice.taxTotal } : null)}
                  lines   ${JSON.stringify(lines)}
  Kantata         invoice ${JSON.stringify(kantataInvoice ? { id: kantataInvoice.id, user_invoice_number: kantataInvoice.user_invoice_number, user_invoice_title: kantataInvoice.user_invoice_title, total_in_cents: kantataInvoice.total_in_cents } : null)}, time entries invoiced: ${env.kantata.objects('time_entries').filter((t) => t.invoice_id === kantataInvoice?.id).length} of ${env.kantata.objects('time_entries').length}
`;
}

/** The Business Central side of a billing run: the posted invoice, then a payment heard by webhook. */
async function businessCentralReport(
  env: LocalEnvironment,
  workspace: string,
  execution: { name: string; status: string } | undefined,
  started: number,
): Promise<string> {
  const invoice = env.businessCentral.invoices().find((i) => i.status !== 'Draft');
  const kantataInvoice = () => env.kantata.objects('invoices').find((i) => i.workspace_id === workspace);
  const billed = `
Billing run ${execution?.name ?? '(none)'}: ${execution?.status ?? 'not started'}, ${Date.now() - started} ms
  Business Central invoice ${JSON.stringify(invoice ? { number: invoice.number, externalDocumentNumber: invoice.externalDocumentNumber, status: invoice.status, totalAmountExcludingTax: invoice.totalAmountExcludingTax, totalTaxAmount: invoice.totalTaxAmount, totalAmountIncludingTax: invoice.totalAmountIncludingTax } : null)}
                   lines   ${JSON.stringify((invoice?.salesInvoiceLines ?? []).map((l) => `${String(l.description)}: ${String(l.quantity)} x ${String(l.unitPrice)}`))}
  Kantata          invoice ${JSON.stringify(kantataInvoice() ? { user_invoice_number: kantataInvoice()!.user_invoice_number, user_invoice_title: kantataInvoice()!.user_invoice_title, total_in_cents: kantataInvoice()!.total_in_cents } : null)}
`;
  if (!invoice) return billed;
  console.log(`Business Central: the customer pays ${invoice.number} in full; BC notifies our webhook ...`);
  await env.businessCentral.pay(invoice.id, invoice.totalAmountIncludingTax.toFixed(2));
  await env.settled();
  const company = env.hubspot.objects('companies').find((c) => c.properties.name === 'Globex Corporation');
  return `${billed}  after payment    Kantata ${JSON.stringify({ payment_status: kantataInvoice()?.payment_status, balance_in_cents: kantataInvoice()?.balance_in_cents })}, HubSpot company ${JSON.stringify({ ps_billing_status: company?.properties.ps_billing_status, ps_last_invoice_number: company?.properties.ps_last_invoice_number })}
`;
}

// `npm run demo` (HubSpot, NetSuite), `npm run demo -- --crm salesforce`, or `npm run demo -- --erp
// business-central` (the UK entity): plays one won deal through the local stack, then a month of its
// billing, and prints what appeared where.
async function main(): Promise<void> {
  const crm = process.argv.includes('--crm') ? process.argv[process.argv.indexOf('--crm') + 1] : 'hubspot';
  if (crm !== 'hubspot' && crm !== 'salesforce') throw new Error(`--crm takes hubspot or salesforce, not ${String(crm)}`);
  const erp = process.argv.includes('--erp') ? process.argv[process.argv.indexOf('--erp') + 1] : 'netsuite';
  if (erp !== 'netsuite' && erp !== 'business-central') throw new Error(`--erp takes netsuite or business-central, not ${String(erp)}`);
  if (erp === 'business-central' && crm !== 'hubspot')
    throw new Error('The Business Central entity of the local configuration (acme-uk) sells through HubSpot: use --erp business-central without --crm');
  const env = await startLocalEnvironment({ logLevel: 'WARN' });
  try {
    const started = Date.now();
    const dealId = crm === 'salesforce' ? await winSalesforceOpportunity(env) : await winHubSpotDeal(env, erp);
    await env.settled();
    const execution = env.stack.stepFunctions.executions.find((e) => e.name.includes(dealId));
    const correlationId = execution ? (JSON.parse(execution.input) as { event: { correlationId: string } }).event.correlationId : 'none';
    const syncFields = (record: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(record).filter(([k]) => /^(ps_erp|ps_psa|ps_sync|PS_ERP|PS_PSA|PS_Sync)/.test(k)));
    const crmRecord =
      crm === 'salesforce' ? syncFields(env.salesforce.record('Opportunity', dealId) ?? {}) : syncFields(env.hubspot.object('deals', dealId)?.properties ?? {});
    const workspace = env.kantata.objects('workspaces').find((w) => w.id === crmRecord.ps_psa_project_id || w.id === crmRecord.PS_PSA_Project_Id__c);
    const roles = new Map(env.kantata.objects('roles').map((r) => [r.id, r.name]));
    const rates = env.kantata
      .objects('rate_card_versions')
      .filter((v) => workspace && v.rate_card_id === workspace.rate_card_id)
      .map(
        (v) =>
          `${String(v.effective_date)}: ${env.kantata
            .objects('rate_card_roles')
            .filter((r) => r.rate_card_version_id === v.id)
            .map((r) => `${String(roles.get(String(r.role_id)))} ${Number(r.rate) / 100}/h`)
            .join(', ')}`,
      );
    console.log(`
Correlation id ${correlationId}, done in ${Date.now() - started} ms
  Step Functions  execution ${execution?.name ?? '(none)'}: ${execution?.status ?? 'not started'}
  ${
    erp === 'business-central'
      ? `Business Central customer ${JSON.stringify(env.businessCentral.customers().map((c) => ({ id: c.id, number: c.number, displayName: c.displayName })))}
                  project  ${JSON.stringify(env.businessCentral.projects().map((p) => ({ id: p.id, number: p.number, displayName: p.displayName })))}`
      : `NetSuite        customer ${JSON.stringify(env.netsuite.us.records('customer').map((c) => ({ id: c.id, companyName: c.companyName, externalId: c.externalId })))}
                  job      ${JSON.stringify(env.netsuite.us.records('job').map((j) => ({ id: j.id, companyName: j.companyName, parent: j.parent })))}`
  }
  Kantata         workspace ${JSON.stringify(workspace ? { id: workspace.id, title: workspace.title, rate_card_id: workspace.rate_card_id } : null)}
                  stories   ${JSON.stringify(
                    env.kantata
                      .objects('stories')
                      .filter((s) => s.workspace_id === workspace?.id)
                      .map((s) => `${String(s.story_type)}: ${String(s.title)}`),
                  )}
                  rates     ${JSON.stringify(rates)}
  ${crm === 'salesforce' ? 'Salesforce opp' : 'HubSpot deal  '}  ${JSON.stringify(crmRecord)}
`);
    if (workspace) console.log(await billMonth(env, workspace.id, '2026-12', erp));
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
