import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpportunityWonEvent } from '../../canonical';
import { deterministicUuid } from '../../lambdas/common/deterministic-id';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { wonDeal } from '../support/opportunity-fixture';
import { shortRetries } from '../support/short-retries';

// A won deal revised twice, its budget (the CRM's) changed each time and, in the last revision, its name
// (the PSA's), with the three revisions reaching the canonical bus in every order.
let env: LocalEnvironment;
beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
}, 120_000);
afterAll(async () => env?.stop());

const credentials = { accessKeyId: 'l', secretAccessKey: 'l' };
const budgets = { 1: 100_000_00, 2: 110_000_00, 3: 125_000_00 } as const;
const names = { 1: 'Rollout', 2: 'Rollout', 3: 'Rollout, renamed in the CRM' } as const;

/** Revision `revision` of the deal `dealId`, as the CRM intake would publish it. */
function revisionOf(dealId: string, accountId: string, revision: 1 | 2 | 3): OpportunityWonEvent {
  const event = wonDeal((p) => {
    p.opportunity = { ...p.opportunity, crmId: dealId, revision, name: names[revision], amount: { amountMinor: budgets[revision], currency: 'USD' } };
    p.account = { ...p.account, crmId: accountId };
  });
  return { ...event, id: randomUUID(), correlationId: randomUUID() };
}

async function createHubSpotDeal(): Promise<string> {
  const response = await fetch(`${env.hubspot.url}/__sandbox/deals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deal: { dealname: 'Rollout', dealstage: 'closedwon' }, company: { name: 'Globex' }, lineItems: [] }),
  });
  return ((await response.json()) as { id: string }).id;
}

const orders = [
  [1, 2, 3],
  [1, 3, 2],
  [2, 1, 3],
  [2, 3, 1],
  [3, 1, 2],
  [3, 2, 1],
] as const;

describe('a deal revised twice, its revisions delivered in every order', () => {
  it.each(orders)('ends at the newest budget and never rolls back (order %i, %i, %i)', async (...order) => {
    const dealId = await createHubSpotDeal();
    const bus = new EventBridgeClient({ endpoint: env.stack.endpoints.eventbridge, region: 'us-east-1', credentials });
    // The project's global id is derived from the deal, and is the workspace's reference in Kantata.
    const projectRef = deterministicUuid('project', `hubspot:hubspot-main:${dealId}`);
    const references = () => env.kantata.objects('external_references').filter((r) => r.subject_type === 'Workspace' && r.service_model_ref === projectRef);
    const workspace = () => env.kantata.objects('workspaces').find((w) => w.id === references()[0]?.subject_id);
    const seen: number[] = [];

    for (const revision of order) {
      const event = revisionOf(dealId, `acct-${dealId}`, revision);
      await bus.send(
        new PutEventsCommand({ Entries: [{ EventBusName: 'canonical', Source: 'ps-sync.hubspot', DetailType: event.type, Detail: JSON.stringify(event) }] }),
      );
      await env.settled();
      seen.push(revision);
      // Never behind the newest revision delivered so far: no rollback, whatever came late.
      expect(workspace()?.price_in_cents).toBe(budgets[Math.max(...seen) as 1 | 2 | 3]);
    }

    expect(references()).toHaveLength(1);
    expect(workspace()).toMatchObject({ price: 125_000, title: names[order[0]] });
    const executions = env.stack.stepFunctions.executions.filter((e) => e.name.includes(`-${dealId}-`));
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // The PSA owns the project's name: the CRM's rename is refused, and recorded with its reason, unless it came first.
    const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials });
    const refusals = ((await dynamo.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? []).filter(
      (i) => i.pk?.S === `EXCEPTION#opportunity-to-project#project#kantata-global:${workspace()!.id}`,
    );
    // Revision 3 is the newest, so it is never superseded: unless it came first, it renames a project an older revision made.
    const reasons = refusals.map((i) => i.reason?.S ?? '');
    expect(reasons).toHaveLength(order[0] === 3 ? 0 : 1);
    expect(reasons.filter((reason) => !reason.includes('name of project is owned by psa'))).toEqual([]);
  });
});
