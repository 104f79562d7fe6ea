import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalEnvironment } from './local-environment';

// Lambda runs Node 24; the SDK's warning about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `npm run demo`: plays one won deal through the local stack and prints what appeared where.
async function main(): Promise<void> {
  const env = await startLocalEnvironment({ logLevel: 'WARN' });
  try {
    const deal = readFileSync(join(__dirname, 'examples', 'deal.json'), 'utf8');
    const created = (await (await fetch(`${env.hubspot.url}/__sandbox/deals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deal })).json()) as { id: string };
    console.log(`HubSpot: deal ${created.id} created; a person moves it to closedwon ...`);
    const started = Date.now();
    await fetch(`${env.hubspot.url}/__sandbox/deals/${created.id}/set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dealstage: 'closedwon' }) });
    await env.settled();
    const execution = env.stack.stepFunctions.executions.find((e) => e.name.includes(created.id));
    const correlationId = execution ? (JSON.parse(execution.input) as { event: { correlationId: string } }).event.correlationId : 'none';
    const properties = env.hubspot.object('deals', created.id)?.properties ?? {};
    console.log(`
Correlation id ${correlationId}, done in ${Date.now() - started} ms
  Step Functions  execution ${execution?.name ?? '(none)'}: ${execution?.status ?? 'not started'}
  NetSuite        customer ${JSON.stringify(env.netsuite.us.records('customer').map((c) => ({ id: c.id, companyName: c.companyName, externalId: c.externalId })))}
                  job      ${JSON.stringify(env.netsuite.us.records('job').map((j) => ({ id: j.id, companyName: j.companyName, parent: j.parent })))}
  Kantata         workspace ${JSON.stringify(env.kantata.objects('workspaces').map((w) => ({ id: w.id, title: w.title })))}
                  stories   ${JSON.stringify(env.kantata.objects('stories').map((s) => `${String(s.story_type)}: ${String(s.title)}`))}
  HubSpot deal    ${JSON.stringify(Object.fromEntries(Object.entries(properties).filter(([k]) => k.startsWith('ps_erp') || k.startsWith('ps_psa') || k.startsWith('ps_sync'))))}
`);
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
