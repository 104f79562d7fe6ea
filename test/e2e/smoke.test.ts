import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChecks, runSmoke, type SmokeOptions } from '../../bin/smoke';
import { STACK_OUTPUTS } from '../../lib/topology/outputs';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { createHubSpotDeal } from '../support/hubspot-deal';
import { shortRetries } from '../support/short-retries';

// `npm run smoke` against the local stack: the same checks, with the local stack's endpoints and its
// equivalents of the CloudFormation outputs injected.
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', printLogs: false, retryIntervalOverrides: shortRetries() });
}, 300_000);
afterAll(async () => env?.stop());

/** What CloudFormation's DescribeStacks would answer for the local stack. */
function localOutputs(): Record<string, string> {
  const { stack, config } = env;
  const outputs: Record<string, string> = {
    [STACK_OUTPUTS.webhookBaseUrl]: stack.webhookBaseUrl,
    [STACK_OUTPUTS.exceptionQueueUrl]: stack.queueUrls.get('exception-announcements')!,
  };
  for (const [table, key] of Object.entries(STACK_OUTPUTS.tables)) outputs[key] = stack.tableNames[table as keyof typeof stack.tableNames];
  for (const queue of stack.topology.queues) outputs[STACK_OUTPUTS.queueUrl(queue)] = stack.queueUrls.get(queue)!;
  for (const machine of stack.topology.stateMachines) outputs[STACK_OUTPUTS.stateMachineArn(machine)] = stack.stepFunctions.arnOf(machine);
  for (const v of config.vendorInstances) {
    if (v.vendor === 'hubspot') outputs[STACK_OUTPUTS.hubSpotWebhookUrl(v.id)] = `${stack.webhookBaseUrl}webhooks/hubspot/${v.id}`;
    if (v.vendor === 'business-central') outputs[STACK_OUTPUTS.businessCentralWebhookUrl(v.id)] = `${stack.webhookBaseUrl}webhooks/business-central/${v.id}`;
  }
  return outputs;
}

function options(overrides: Partial<SmokeOptions> = {}): SmokeOptions {
  const { endpoints } = env.stack;
  return {
    config: env.config,
    region: env.config.regions[0]!.region,
    outputs: async () => localOutputs(),
    endpoints: { dynamodb: endpoints.dynamodb, sqs: endpoints.sqs, secretsManager: endpoints.secretsManager, sfn: endpoints.sfn },
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Vendors sign the public URL; the local API listens elsewhere.
    sendTo: (url) => url.replace(env.stack.webhookBaseUrl, env.stack.apiUrl),
    timeoutMs: 30_000,
    ...overrides,
  };
}

describe('npm run smoke against the local stack', () => {
  it('passes every check, and the switched-off deal is accepted, recorded and dropped without a write', async () => {
    // acme-ca's research unit has opportunity to project switched off in the local configuration.
    const dealId = await createHubSpotDeal(env.hubspot.url, {
      company: 'Smoke Test',
      overrides: { dealstage: 'closedwon', ps_legal_entity: 'acme-ca', ps_business_unit: 'research', deal_currency_code: 'CAD' },
    });
    const customersBefore = env.netsuite.ca.records('customer').length;

    const checks = await runSmoke(options({ switchedOffDeal: { instance: 'hubspot-main', dealId } }));

    expect(
      checks.filter((c) => !c.ok),
      formatChecks(checks),
    ).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['stack outputs', 'GET /health', 'table idempotency', 'queue HubspotDealEvents', 'secret ps-sync/local/hubspot-main']),
    );
    expect(checks.find((c) => c.name === 'switched-off HubSpot webhook')?.detail).toMatch(/skipped by its flow switch/);
    await env.settled();
    expect(env.netsuite.ca.records('customer')).toHaveLength(customersBefore);
    expect(env.hubspot.object('deals', dealId)?.properties.ps_sync_status).toBeUndefined();
  });

  it('fails, naming what is missing, when an output or a secret is not there', async () => {
    const { [STACK_OUTPUTS.tables.audit]: _audit, ...outputs } = localOutputs();
    const config = {
      ...env.config,
      vendorInstances: env.config.vendorInstances.map((v) => (v.id === 'kantata-global' ? { ...v, secretName: 'ps-sync/local/nowhere' } : v)),
    };

    const checks = await runSmoke(options({ config, outputs: async () => outputs }));

    expect(checks.filter((c) => !c.ok).map((c) => [c.name, c.detail])).toEqual([
      ['stack outputs', expect.stringContaining('AuditTrailTableName')],
      ['table audit', expect.stringContaining('no output AuditTrailTableName')],
      ['secret ps-sync/local/nowhere', expect.any(String)],
    ]);
    expect(formatChecks(checks)).toMatch(/^✗ stack outputs/m);
  });
});
