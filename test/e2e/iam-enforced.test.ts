import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBillingLedger } from '../../lambdas/dynamodb/billing-ledger';
import type { PsaProjectRef } from '../../lambdas/ports/psa';
import type { FunctionUse, WorkflowDeclaration } from '../../lib/topology/declarations';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { contractFixture } from '../support/contract-fixture';

// The defect issue 12 found by reading templates: HandleCertiniaChange declared the grants meant for
// the Kantata poll, so in AWS it could not read its own Certinia secret. The local stack now runs each
// function with its template role, so the same defect stops the flow here, with AWS's refusal.
const withKantataGrantsOnCertiniaIntake: readonly WorkflowDeclaration[] = WORKFLOWS.map((wf) => ({
  ...wf,
  functions: wf.functions.map((fn) =>
    fn.id === 'HandleCertiniaChange'
      ? {
          ...fn,
          uses: fn.uses.map((u): FunctionUse => (u.kind === 'vendorSecrets' ? { kind: 'vendorSecrets', vendors: ['kantata'] } : u)),
        }
      : fn,
  ),
}));

let env: LocalEnvironment;
let ledger: DynamoDbBillingLedger;
let psa: PsaProjectRef;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'ERROR', printLogs: false, workflows: withKantataGrantsOnCertiniaIntake });
  const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  ledger = new DynamoDbBillingLedger(DynamoDBDocumentClient.from(dynamo, { unmarshallOptions: { wrapNumbers: true } }), env.stack.tableNames.billingLedger);
  const project = await env.certinia.createProject({ name: 'Initech rollout', currency: 'USD', startDate: '2026-11-01' });
  psa = { instance: 'certinia-main', projectId: project };
  await ledger.recordContract(contractFixture(psa));
  const resource = await env.certinia.createResource({ firstName: 'Ada', lastName: 'Byron', role: 'Analyst' });
  const assignment = await env.certinia.createAssignment({ project, resource, role: 'Consultant', billRate: 165.5 });
  const week = await env.certinia.submitTimecard({ project, resource, assignment, weekStart: '2026-11-29', hours: { Monday: 8 } });
  await env.certinia.approve('pse__Timecard_Header__c', week);
}, 120_000);
afterAll(async () => env?.stop());

describe('IAM enforced locally from the synthesized template', () => {
  it('refuses the Certinia intake its own secret when its role grants only Kantata, as AWS would, and records no work', async () => {
    // The failed record waits for its visibility timeout before a redelivery, so wait for the refusal, not for the queues.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !env.stack.iamRefusals().some((r) => r.principal.endsWith('/HandleCertiniaChange'))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const refusal = env.stack.iamRefusals().find((r) => r.principal.endsWith('/HandleCertiniaChange'));
    expect(refusal?.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/\w+\/HandleCertiniaChange is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:ps-sync\/local\/certinia-main-\w{6} because no identity-based policy allows the secretsmanager:GetSecretValue action$/,
    );
    expect((await ledger.workOf(psa)).time).toEqual([]);
  });

  it('logs each failed record once, at error level, with its own correlation id, the reason and what happens next', () => {
    // The submitted and the approved timecard: two changes relayed, two records, each failing on its first receive.
    const failed = env.stack
      .logsOf('HandleCertiniaChange')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.message === 'Record failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((f) => f.messageId)).size).toBe(failed.length);
    expect(new Set(failed.map((f) => f.correlationId)).size).toBe(failed.length);
    for (const line of failed)
      expect(line).toMatchObject({
        level: 'ERROR',
        correlationId: expect.stringMatching(/^(?!none$).+/),
        attempt: 1,
        // Powertools Parameters wraps the SDK error; AWS's message is kept whole.
        reason: expect.stringMatching(/^GetParameterError: User: .*HandleCertiniaChange is not authorized to perform: secretsmanager:GetSecretValue/),
        next: expect.stringContaining('DLQ'),
      });
  });
});
