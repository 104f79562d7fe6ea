import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parseCanonicalEvent } from '../../canonical';
import { opportunityWonEvent } from '../../lambdas/hubspot/deal-mapping';
import type { HubSpotDealSnapshot } from '../../lambdas/hubspot/hubspot-crm';
import { checkBatch, dedupKey } from '../../lambdas/hubspot/webhook-events';
import { verifyHubSpotSignature } from '../../lambdas/hubspot/webhook-signature';
import { declarationOf } from '../../lambdas/wiring/function-environment';
import { BUNDLE_TARGET, baseEnvironment, bundleDefines } from '../../lib/topology/bundling';
import { environmentVariableFor } from '../../lib/topology/declarations';
import { opportunityToProject } from '../../lib/topology/opportunity-to-project';
import { startLocalEnvironment } from '../../local/local-environment';
import { exampleConfig } from '../support/example-config';
import { runDealsUnderFaults } from '../support/fault-run';
import { shortRetries } from '../support/short-retries';
import { tracerShare } from './tracer-share';

// Lambda runs Node 24; the SDK's warning about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// npm run bench: figures for opportunity to project, printed, never asserted.
const root = join(__dirname, '..', '..');
const config = exampleConfig();
const fields = config.vendorInstances.find((v) => v.id === 'hubspot-main')!.crm!.fields;

function intake(): void {
  const secret = 'bench-secret';
  const url = 'https://hooks.example.com/prod/webhooks/hubspot/hubspot-main';
  const body = Buffer.from(
    JSON.stringify([
      {
        eventId: 1,
        subscriptionId: 2,
        portalId: 3,
        appId: 4,
        occurredAt: 1_760_000_000_000,
        subscriptionType: 'deal.propertyChange',
        attemptNumber: 0,
        objectId: 5,
        propertyName: 'dealstage',
        propertyValue: 'closedwon',
        changeSource: 'CRM_UI',
      },
    ]),
  );
  const timestamp = '1760000000000';
  const signature = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`POST${url}`), body, Buffer.from(timestamp)]))
    .digest('base64');
  const snapshot: HubSpotDealSnapshot = {
    deal: {
      id: '5',
      properties: {
        dealname: 'D',
        dealstage: 'closedwon',
        amount: '125000',
        deal_currency_code: 'USD',
        ps_legal_entity: 'acme-us',
        ps_business_unit: 'delivery',
        ps_tax_profile: 'T',
        ps_billing_terms: 'time-and-materials',
        ps_payment_terms: 'NET30',
        ps_contract_start: '2026-12-01',
      },
    },
    company: { id: '6', properties: { name: 'Globex', country: 'US' } },
    lineItems: [{ id: '7', properties: { name: 'Consultant', price: '165.50', ps_line_type: 'rate' } }],
  };
  const n = 20_000;
  const time = (run: () => void) => {
    for (let i = 0; i < 1000; i++) run();
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run();
    return Number(process.hrtime.bigint() - start) / n / 1000;
  };
  const floor = time(() => {
    createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`POST${url}`), body, Buffer.from(timestamp)]))
      .digest('base64');
    JSON.parse(body.toString('utf8'));
  });
  const full = time(() => {
    verifyHubSpotSignature({ method: 'POST', publicUrl: url, rawBody: body, signature, timestamp }, [secret], 1_760_000_000_000);
    const [check] = checkBatch(JSON.parse(body.toString('utf8')) as unknown[], 3);
    if (check?.ok) dedupKey('hubspot-main', check.event);
    parseCanonicalEvent(opportunityWonEvent('hubspot-main', snapshot, fields, 'c', new Date()));
  });
  console.log(
    `Intake per event: verify + split + dedup key + map + validate ${full.toFixed(1)} µs; bare HMAC + JSON.parse floor ${floor.toFixed(1)} µs (${(full / floor).toFixed(1)}x), ${n} events`,
  );
}

async function bundles(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  console.log('\nBundled functions (esbuild, minified, as deployed) | size | cold load | SDK clients only: size | cold load');
  // Each bundle cold-starts with the environment the stack gives its function (it refuses to load without it).
  const environmentOf = (functionId: string): Record<string, string> => {
    const env: Record<string, string> = { ...baseEnvironment(opportunityToProject.workflow, config, 'us-east-1') };
    for (const use of declarationOf(functionId).declaration.uses) {
      const name = environmentVariableFor(use);
      if (name) env[name] = `bench-${name}`;
    }
    return env;
  };
  const load = (file: string, functionId: string) => {
    const out = execFileSync(
      process.execPath,
      ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`],
      {
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...environmentOf(functionId),
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      },
    );
    return Number(out.toString().trim());
  };
  for (const fn of opportunityToProject.functions) {
    const result = await build({
      entryPoints: [join(root, fn.entry)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLE_TARGET,
      minify: true,
      define: bundleDefines(config),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const file = join(dir, `${fn.id}.js`);
    writeFileSync(file, result.outputFiles[0]!.text);
    const clients = [...new Set(Object.keys(result.metafile.inputs).flatMap((i) => /node_modules\/(@aws-sdk\/client-[a-z-]+)\//.exec(i)?.[1] ?? []))];
    const baselineEntry = join(dir, `${fn.id}-sdk.js`);
    writeFileSync(
      baselineEntry,
      clients.map((c, i) => `const c${i} = require(${JSON.stringify(c)}); module.exports.c${i} = c${i};`).join('\n') || 'module.exports = {};',
    );
    const baseline = await build({
      entryPoints: [baselineEntry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLE_TARGET,
      minify: true,
      write: false,
      nodePaths: [join(root, 'node_modules')],
      logLevel: 'silent',
    });
    const baselineFile = join(dir, `${fn.id}-sdk.bundle.js`);
    writeFileSync(baselineFile, baseline.outputFiles[0]!.text);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(
      `  ${fn.id.padEnd(26)} ${kb(result.outputFiles[0]!.contents.length).padStart(9)} ${load(file, fn.id).toFixed(0).padStart(5)} ms | ${kb(baseline.outputFiles[0]!.contents.length).padStart(9)} ${load(baselineFile, fn.id).toFixed(0).padStart(5)} ms  (${clients.join(', ') || 'none'})`,
    );
  }
  // Tracer's share on the webhook intake, a queue consumer and a Step Functions task (ADR 0019).
  const traced = new Set(['ReceiveHubSpotWebhook', 'HandleHubSpotDealEvent', 'StartOpportunityToProject', 'CreateErpProject']);
  await tracerShare(
    opportunityToProject.functions.filter((f) => traced.has(f.id)),
    { define: bundleDefines(config), environmentOf },
  );
}

function happyPathTransitions(): number {
  const definition = JSON.parse(readFileSync(join(root, opportunityToProject.stateMachines[0]!.definitionFile), 'utf8')) as {
    StartAt: string;
    States: Record<string, { Next?: string; Default?: string; End?: boolean; Type: string }>;
  };
  let state: string | undefined = definition.StartAt;
  let count = 0;
  while (state) {
    count += 1;
    const s: { Next?: string; Default?: string; Type: string } = definition.States[state]!;
    state = s.Type === 'Choice' ? s.Default : s.Next;
  }
  return count;
}

async function perOpportunity(): Promise<void> {
  const env = await startLocalEnvironment({ logLevel: 'SILENT' });
  try {
    const deals = 5;
    const before = { hubspot: env.hubspot.requests.length, netsuite: env.netsuite.us.requests.length, kantata: env.kantata.requests.length };
    const started = Date.now();
    for (let i = 0; i < deals; i++) {
      const body = JSON.parse(readFileSync(join(root, 'local', 'examples', 'deal.json'), 'utf8')) as { company: { name: string } };
      body.company.name = `Bench ${i}`;
      const { id } = (await (
        await fetch(`${env.hubspot.url}/__sandbox/deals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      ).json()) as { id: string };
      await fetch(`${env.hubspot.url}/__sandbox/deals/${id}/set`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dealstage: 'closedwon' }),
      });
    }
    await env.settled();
    const elapsed = Date.now() - started;
    const calls = {
      hubspot: (env.hubspot.requests.length - before.hubspot) / deals,
      netsuite: (env.netsuite.us.requests.length - before.netsuite) / deals,
      kantata: (env.kantata.requests.length - before.kantata) / deals,
    };
    const transitions = happyPathTransitions();
    console.log(
      `\nVendor calls per opportunity (${deals} deals, local): HubSpot ${calls.hubspot}, NetSuite ${calls.netsuite}, Kantata ${calls.kantata} (tokens and reads included); ${(elapsed / deals).toFixed(0)} ms per deal end to end on loopback`,
    );
    console.log(`State transitions per execution (happy path): ${transitions}`);

    // List prices, us-east-1, as published when this was written: check them before quoting.
    const price = {
      stepFunctionsPerTransition: 0.025 / 1000,
      lambdaPerRequest: 0.2 / 1e6,
      lambdaArmPerGbSecond: 0.0000133334,
      sqsPerRequest: 0.4 / 1e6,
      eventBridgePerEvent: 1 / 1e6,
      apiGatewayRestPerRequest: 3.5 / 1e6,
      dynamoWritePerUnit: 0.625 / 1e6,
      dynamoReadPerUnit: 0.125 / 1e6,
      kmsPerRequest: 0.03 / 10_000,
    };
    // Per opportunity: 1 won webhook + 1 echo webhook (our write-back), their consumer runs, 1 start, the steps.
    const lambdaInvocations = 2 + 2 + 1 + (transitions - 2);
    const gbSeconds = lambdaInvocations * 0.5 /* GB */ * 0.3; /* s, a generous average per invocation */
    const sqsRequests = (2 + 1) * 3; /* messages × (send, receive, delete) */
    const events = 2; /* opportunity.won, project.activated */
    /* idempotency (2 per idempotent step), claims, links, the revision claim, and the PSA write journal
       (a pending and a done per journalled Kantata write, about 27 for a deal with a two-version rate card) */
    const dynamoWrites = 48;
    const dynamoReads = 8;
    const perOpportunityCost =
      transitions * price.stepFunctionsPerTransition +
      lambdaInvocations * price.lambdaPerRequest +
      gbSeconds * price.lambdaArmPerGbSecond +
      sqsRequests * price.sqsPerRequest +
      events * price.eventBridgePerEvent +
      2 * price.apiGatewayRestPerRequest +
      dynamoWrites * price.dynamoWritePerUnit +
      dynamoReads * price.dynamoReadPerUnit +
      (sqsRequests + dynamoWrites) * price.kmsPerRequest * 0.1; /* data keys are cached; ~10% of calls reach KMS */
    console.log(
      `AWS cost per 1,000 opportunities at list prices (estimate, excludes fixed costs such as WAF and KMS key months): $${(perOpportunityCost * 1000).toFixed(3)}`,
    );
  } finally {
    await env.stop();
  }
}

/**
 * Won deals under a seeded fault schedule at three fault rates, each in a fresh local environment:
 * throughput, how many completed, and what the faults cost in vendor calls and state retries. The
 * retry pauses are shortened (the figures are counts, not backoff time); a slow answer costs 1 s.
 */
async function faultRun(): Promise<void> {
  const deals = Number(process.env.BENCH_FAULT_DEALS ?? 100);
  console.log(
    `\nFault run: ${deals} won deals per rate, HubSpot write-backs, NetSuite and Kantata failing at the rate (throttle, 5xx, reset, slow, after-commit, reset-after-commit)`,
  );
  console.log('| faults | accepted | completed | exceptions | DLQ | lost | duplicated | deals/min | vendor calls/deal | failed calls/deal | retries/deal |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const rate of [0, 0.05, 0.2]) {
    const env = await startLocalEnvironment({
      logLevel: 'SILENT',
      retryIntervalOverrides: shortRetries(),
      requestTimeoutMs: 1_000,
      kantataLimits: { requestsPerWindow: 1_000_000, workspaceCreatesPerWindow: 100_000 },
      hubspotBurstLimit: 100_000,
    });
    try {
      const r = await runDealsUnderFaults(env, { label: `Bench ${rate}`, deals, seed: 2026, rate });
      const per = (n: number) => (n / r.accepted).toFixed(1);
      console.log(
        `| ${(rate * 100).toFixed(0)} % | ${r.accepted} | ${r.completed} | ${r.exceptions} | ${r.deadLettered} | ${r.lost} | ${r.duplicated} | ${((r.accepted / r.durationMs) * 60_000).toFixed(0)} | ${per(r.vendorCalls)} | ${per(r.failedCalls)} | ${per(r.retries)} |`,
      );
    } finally {
      await env.stop();
    }
  }
  console.log('Floor: 0 lost and 0 duplicated at every rate; at 20 % at least 95 % completed (the end-to-end test holds 38 of 40).');
}

async function main(): Promise<void> {
  intake();
  await bundles();
  await perOpportunity();
  await faultRun();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
