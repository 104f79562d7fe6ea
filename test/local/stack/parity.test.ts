import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeploymentConfigInput, parseDeploymentConfig } from '../../../canonical/deployment-config';
import { WORKFLOWS } from '../../../lib/sync-region-stack';
import { relayRuleInstances } from '../../../lib/topology/declarations';
import { DECLARATION_TAG } from '../../../lib/workflow-resources';
import { type LocalStack, startLocalStack } from '../../../local/stack/local-stack';
import { synthesizeDeployment } from '../../support/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };
// One configuration on both sides: the local one, whose relayed Salesforce org gives the relay rules and
// schedules names, here behind a custom domain as a deployment may be.
const PUBLIC_BASE_URL = 'https://hooks.example.com/local/';
const localInput = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;
const localConfig = parseDeploymentConfig({
  ...localInput,
  regions: localInput.regions.map((r) => ({ ...r, webhooks: { ...r.webhooks, publicBaseUrl: PUBLIC_BASE_URL } })),
});
const HUBSPOT_SECRET = 'parity-hubspot-client-secret';
const template = synthesizeDeployment(localConfig).templates.get('us-east-1')!.toJSON() as { Resources: Record<string, Resource> };
const resources = template.Resources;

const TYPES: Record<string, string> = {
  function: 'AWS::Lambda::Function',
  queue: 'AWS::SQS::Queue',
  'dead-letter-queue': 'AWS::SQS::Queue',
  rule: 'AWS::Events::Rule',
  'state-machine': 'AWS::StepFunctions::StateMachine',
};

/** Declared parts of a kind, read from the tags the CDK builder puts on what it creates (children inherit tags, so the type matters). */
function tagged(kind: string): string[] {
  return Object.values(resources)
    .filter((r) => r.Type === TYPES[kind])
    .flatMap((r) => {
      const tags = r.Properties?.Tags;
      const list = Array.isArray(tags)
        ? (tags as { Key: string; Value: string }[])
        : Object.entries((tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
      return list.filter((t) => t.Key === DECLARATION_TAG && t.Value.startsWith(`${kind}/`)).map((t) => t.Value.slice(kind.length + 1));
    })
    .sort();
}

/** `POST /webhooks/hubspot/{instance}` for every API method in the template. */
function routes(): string[] {
  const pathOf = (id: string | undefined): string => {
    if (id === undefined) return '';
    const resource = resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = (resource.Properties.ParentId as { Ref?: string } | undefined)?.Ref;
    return `${pathOf(parent)}/${String(resource.Properties.PathPart)}`;
  };
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((r) => `${String(r.Properties.HttpMethod)} ${pathOf((r.Properties.ResourceId as { Ref?: string }).Ref)}`)
    .sort();
}

let local: LocalStack;
beforeAll(async () => {
  const hubspotSecret = localConfig.vendorInstances.find((v) => v.id === 'hubspot-main')!.secretName;
  local = await startLocalStack({
    config: localConfig,
    region: 'us-east-1',
    workflows: WORKFLOWS,
    secrets: { [hubspotSecret]: { clientSecret: HUBSPOT_SECRET, accessToken: 'unused' } },
    logLevel: 'SILENT',
  });
}, 60_000);
afterAll(async () => local?.stop());

describe('the local stack is built from the same declarations as the CDK stack', () => {
  it('runs every function of the template', () => {
    expect(tagged('function').length).toBeGreaterThan(0);
    expect([...local.topology.functions].sort()).toEqual(tagged('function'));
  });

  it('has every work queue of the template, each with its dead-letter queue', () => {
    expect([...local.topology.queues].sort()).toEqual(tagged('queue'));
    expect(tagged('dead-letter-queue')).toEqual(tagged('queue'));
    for (const queue of tagged('queue')) expect(local.queueUrls.has(`${queue}-dlq`), queue).toBe(true);
  });

  it('serves every API route of the template', () => {
    expect(['GET /health', ...local.topology.routes].sort()).toEqual(routes());
  });

  it('routes with every rule of the template, relay rules on partner buses included, with the same pattern', () => {
    expect(local.topology.rules.some((r) => r.startsWith('SalesforceOpportunityChanges-'))).toBe(true);
    expect([...local.topology.rules].sort()).toEqual(tagged('rule'));
    const patterns = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => JSON.stringify(r.Properties.EventPattern));
    for (const rule of WORKFLOWS.flatMap((w) => w.rules)) expect(patterns).toContain(JSON.stringify(rule.eventPattern));
    // Relay rules: one per relay, with the pattern for its instance (a platform event's API name is the org's).
    for (const rule of WORKFLOWS.flatMap((w) => w.relayRules ?? []))
      for (const relayed of relayRuleInstances(localConfig, 'us-east-1', rule)) expect(patterns).toContain(JSON.stringify(relayed.eventPattern));
  });

  it('accepts every partner source of the template, an org relaying two channels on two buses', () => {
    const deployed = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Events::EventBus' && r.Properties.EventSourceName !== undefined)
      .map((r) => String(r.Properties.EventSourceName))
      .sort();
    expect([...local.partnerBuses.keys()].sort()).toEqual(deployed);
    expect(localConfig.eventRelays.filter((r) => r.instance === 'salesforce-main')).toHaveLength(2);
    expect(local.topology.rules).toEqual(expect.arrayContaining(['SalesforceOpportunityChanges-salesforce-main', 'SalesforceDealWonEvents-salesforce-main']));
  });

  it('runs every state machine of the template from the same definition', () => {
    expect([...local.topology.stateMachines].sort()).toEqual(tagged('state-machine'));
    for (const machine of WORKFLOWS.flatMap((w) => w.stateMachines)) {
      const deployed = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::StepFunctions::StateMachine' && Object.keys((r.Properties.DefinitionSubstitutions ?? {}) as object).every((k) => k in machine.tasks),
      )!;
      expect(deployed.Properties.DefinitionString).toBe(readFileSync(join(__dirname, '..', '..', '..', machine.definitionFile), 'utf8'));
    }
  });

  it('fires every schedule of the template, with the same expression', () => {
    const deployed = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    expect(local.topology.schedules.length).toBeGreaterThan(0);
    // Deployed names carry the stack's name before the declared one, so two stages in one account cannot collide.
    expect(deployed).toHaveLength(local.topology.schedules.length);
    for (const name of local.topology.schedules)
      expect(
        deployed.filter((r) => String(r.Properties.Name).endsWith(`-${name}`)),
        name,
      ).toHaveLength(1);
    for (const schedule of WORKFLOWS.flatMap((w) => w.schedules ?? []))
      expect(deployed.map((r) => r.Properties.ScheduleExpression)).toContain(schedule.expression);
  });
});

describe('the local stack honours webhooks.publicBaseUrl', () => {
  const signedPost = (signedUrl: string) => {
    const body = '[]';
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', HUBSPOT_SECRET).update(`POST${signedUrl}${body}${timestamp}`).digest('base64');
    return fetch(`${local.apiUrl}webhooks/hubspot/hubspot-main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp },
      body,
    });
  };

  it('gives the functions the configured URL, as the template does', () => {
    expect(local.webhookBaseUrl).toBe(PUBLIC_BASE_URL);
  });

  it('verifies a HubSpot signature over the public URL, and refuses one over the local URL', async () => {
    // Past the signature: an empty batch is then refused for what it is.
    expect((await signedPost(`${PUBLIC_BASE_URL}webhooks/hubspot/hubspot-main`)).status).toBe(400);
    expect((await signedPost(`${local.apiUrl}webhooks/hubspot/hubspot-main`)).status).toBe(401);
  });
});
