import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deterministicUuid } from '../../lambdas/common/deterministic-id';
import { DynamoDbBillingLedger } from '../../lambdas/dynamodb/billing-ledger';
import { NetSuiteErp } from '../../lambdas/netsuite/netsuite-erp';
import { LOCAL_CREDENTIALS, startLocalEnvironment } from '../../local/local-environment';

// Lambda runs Node 24; the SDK's warning about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// npm run bench: a month-end billing run through the whole local stack (poll, bus, ledger, state machine,
// NetSuite and Kantata sandboxes). Figures printed, never asserted. Size by BENCH_BILLING_ENTRIES and
// BENCH_BILLING_PROJECTS; the default is smaller than a 100,000-entry month so `npm run bench` stays
// minutes long on two cores, and the per-entry and per-invoice figures are what scale.
const entries = Number(process.env.BENCH_BILLING_ENTRIES ?? 5_000);
const projects = Number(process.env.BENCH_BILLING_PROJECTS ?? 100);

async function main(): Promise<void> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const env = await startLocalEnvironment({
    logLevel: (process.env.BENCH_LOG_LEVEL as 'ERROR' | undefined) ?? 'SILENT',
    schedulesPaused: true,
    billingRunsMaxConcurrent: Number(process.env.BENCH_BILLING_CONCURRENT_RUNS ?? 40),
    netSuiteConcurrency: 10,
    kantataLimits: { requestsPerWindow: 1_000_000, workspaceCreatesPerWindow: 1_000_000 },
  });
  try {
    const region = env.config.regions[0]!.region;
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const ledger = new DynamoDbBillingLedger(
      DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region, credentials })),
      env.stack.tableNames.billingLedger,
    );
    const token = (
      (await (
        await fetch(`${env.kantata.url}/oauth/token`, {
          method: 'POST',
          body: 'grant_type=client_credentials&client_id=local-kantata-client&client_secret=local-kantata-secret',
        })
      ).json()) as { access_token: string }
    ).access_token;
    const consultant = env.kantata.objects('roles').find((r) => r.name === 'Consultant')!.id;
    const principal = env.kantata.objects('roles').find((r) => r.name === 'Principal')!.id;

    // The customer, as opportunity to project leaves it in NetSuite.
    const netSuiteUs = env.config.vendorInstances.find((v) => v.id === 'netsuite-us')!;
    const netsuite = new NetSuiteErp({
      instance: 'netsuite-us',
      baseUrl: env.netsuite.us.url,
      // The local acme-us account is OneWorld.
      subsidiaries: { 'acme-us': '1' },
      // References by internal id, as the local configuration names them.
      currencyIds: netSuiteUs.currencyIds ?? {},
      paymentTermsIds: netSuiteUs.paymentTermsIds ?? {},
      taxItemIds: netSuiteUs.taxItemIds ?? {},
      credentials: async () => LOCAL_CREDENTIALS.netsuiteUs,
      refreshCredentials: async () => LOCAL_CREDENTIALS.netsuiteUs,
      audit: { record: async () => undefined },
      execution: 'bench',
      correlationId: 'bench',
    });
    const { id: customerId } = await netsuite.upsertCustomer({
      externalId: 'bench-customer',
      name: 'Bench Corp',
      currency: 'USD',
      paymentTermsCode: 'NET30',
      taxProfileCode: 'US-EXEMPT',
      legalEntityId: 'acme-us',
    });
    // Projects as opportunity to project leaves them: a Kantata workspace and a contract in the ledger.
    for (let p = 0; p < projects; p++) {
      const created = (await (
        await fetch(`${env.kantata.url}/api/v1/workspaces.json`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ workspace: { title: `Bench ${p}`, currency: 'USD' } }),
        })
      ).json()) as { results: { id: string }[] };
      const psa = { instance: 'kantata-global', projectId: created.results[0]!.id };
      // Global ids are UUIDs, as opportunity to project makes them (invoice.posted names the contract by it).
      const contractId = deterministicUuid('project', `bench:${p}`);
      await ledger.recordContract({
        psa,
        erp: { instance: 'netsuite-us', customerId, projectId: String(2000 + p) },
        crm: { instance: 'hubspot-main', opportunityId: `d${p}` },
        projectGlobalId: contractId,
        legalEntityId: 'acme-us',
        businessUnit: 'delivery',
        name: `Bench ${p}`,
        terms: {
          contractId,
          currency: 'USD',
          model: 'time-and-materials',
          rateCard: [
            { role: 'Consultant', hourlyRate: '165.50', effectiveFrom: '2026-01-01', effectiveTo: '2026-11-15' },
            { role: 'Consultant', hourlyRate: '172.00', effectiveFrom: '2026-11-16' },
            { role: 'Principal', hourlyRate: '275', effectiveFrom: '2026-01-01' },
          ],
          expenseMarkupPercent: '10',
          milestones: [],
        },
      });
      for (let e = 0; e < entries / projects; e++) {
        await fetch(`${env.kantata.url}/__sandbox/time_entries`, {
          method: 'POST',
          body: JSON.stringify({
            workspace_id: psa.projectId,
            user_id: String(e % 40),
            role_id: e % 5 === 0 ? principal : consultant,
            date_performed: `2026-11-${String(1 + (e % 28)).padStart(2, '0')}`,
            time_in_minutes: 15 * (1 + (e % 32)),
            billable: e % 9 !== 0,
            approved: true,
          }),
        });
      }
    }
    console.log(`\nMonth-end billing through the local stack: ${entries.toLocaleString('en-US')} approved entries across ${projects} projects`);

    let started = Date.now();
    await env.stack.scheduler.fire('KantataPollSchedule-kantata-global');
    await env.settled(3_600_000);
    const pollMs = Date.now() - started;
    console.log(
      `  poll, publish and record in the ledger: ${(pollMs / 1000).toFixed(1)} s = ${Math.round(entries / (pollMs / 1000)).toLocaleString('en-US')} entries/s`,
    );

    const before = { netsuite: env.netsuite.us.requests.length, kantata: env.kantata.requests.length };
    started = Date.now();
    await new SQSClient({ endpoint: env.stack.endpoints.sqs, region, credentials }).send(
      new SendMessageCommand({ QueueUrl: env.stack.queueUrls.get('BillingRunRequests')!, MessageBody: JSON.stringify({ reason: 'bench', period: '2026-11' }) }),
    );
    // Progress on stderr every 30 s, so a slow run shows where it is.
    const progress = setInterval(() => {
      const byStatus: Record<string, number> = {};
      for (const e of env.stack.stepFunctions.executions) byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
      console.error(
        `  … ${Math.round((Date.now() - started) / 1000)} s: executions ${JSON.stringify(byStatus)}, NetSuite invoices ${env.netsuite.us.records('invoice').length}`,
      );
    }, 30_000);
    await env.settled(3_600_000).finally(() => clearInterval(progress));
    const runMs = Date.now() - started;
    const executions = env.stack.stepFunctions.executions.filter((e) => e.name.endsWith('-2026-11-r1'));
    const invoices = env.netsuite.us.records('invoice').length;
    console.log(
      `  billing run: ${executions.length} executions (${executions.filter((e) => e.status === 'SUCCEEDED').length} succeeded), ${invoices} NetSuite invoices in ${(runMs / 1000).toFixed(1)} s = ${Math.round(entries / (runMs / 1000)).toLocaleString('en-US')} entries/s`,
    );
    console.log(`  peak RSS of the whole local stack (one process, functions in worker threads): ${Math.round(peakRss / 2 ** 20)} MiB`);
    const calls = {
      netsuite: (env.netsuite.us.requests.length - before.netsuite) / invoices,
      kantata: (env.kantata.requests.length - before.kantata) / invoices,
    };
    console.log(
      `  vendor calls per invoice: NetSuite ${calls.netsuite.toFixed(1)} (upsert, read back, tokens), Kantata ${calls.kantata.toFixed(1)} (reference lookup, invoice, reference, tokens)`,
    );

    // List prices, us-east-1, as published when this was written: check them before quoting.
    const price = {
      transition: 0.025 / 1000,
      lambdaRequest: 0.2 / 1e6,
      lambdaGbSecond: 0.0000133334,
      sqsRequest: 0.4 / 1e6,
      event: 1 / 1e6,
      dynamoWrite: 0.625 / 1e6,
      dynamoRead: 0.125 / 1e6,
    };
    const perEntry =
      1 * price.event +
      (3 / 10) * price.sqsRequest +
      (1 / 10) * price.lambdaRequest +
      (1 / 10) * 0.5 * 0.2 * price.lambdaGbSecond +
      2 * price.dynamoWrite +
      2 * price.dynamoRead;
    const pages = 1; /* 500 ids a page: a 50-entry contract-month is one page */
    const perInvoice =
      (8 + 2 * pages) * price.transition +
      (4 + pages) * price.lambdaRequest +
      (4 + pages) * 1 * 0.3 * price.lambdaGbSecond +
      12 * price.dynamoWrite +
      10 * price.dynamoRead +
      3 * price.sqsRequest;
    const per100k = 100_000 * perEntry + 2_000 * perInvoice + 8 * 3 * 31 * 96 * price.lambdaRequest; /* polls: 96 a day */
    console.log(
      `  AWS cost per 100,000 entries (2,000 invoices) at list prices, estimate: $${per100k.toFixed(2)} (per entry $${perEntry.toExponential(2)}, per invoice $${perInvoice.toExponential(2)})`,
    );
  } finally {
    clearInterval(sampler);
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
