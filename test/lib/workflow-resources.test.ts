import type { CfnResource } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import { scheduleName, stateMachineName, workflowConstructId } from '../../lib/workflow-resources';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };
const { stacks, templates } = synthesizeDeployment(exampleConfig());
const template = templates.get('us-east-1')!.toJSON() as { Resources: Record<string, Resource> };
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const ref = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

describe('opportunity-to-project resources', () => {
  const queues = new Map(ofType('AWS::SQS::Queue'));
  const mappings = ofType('AWS::Lambda::EventSourceMapping');
  const functions = new Map(ofType('AWS::Lambda::Function'));

  it('give every consumed queue a DLQ with longer retention that the console may redrive to its source', () => {
    expect(mappings.length).toBeGreaterThan(0);
    for (const [, mapping] of mappings) {
      const queueId = ref(mapping.Properties.EventSourceArn)!;
      const queue = queues.get(queueId)!;
      const redrive = queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      const dlq = queues.get(ref(redrive.deadLetterTargetArn)!)!;
      expect(redrive.maxReceiveCount).toBeGreaterThan(0);
      expect(Number(dlq.Properties.MessageRetentionPeriod)).toBeGreaterThan(Number(queue.Properties.MessageRetentionPeriod));
      expect(dlq.Properties.RedriveAllowPolicy).toEqual({ redrivePermission: 'allowAll' });
    }
  });

  it('set each consumed queue visibility timeout to at least six times its consumer timeout, and report partial batch failures', () => {
    for (const [, mapping] of mappings) {
      const queue = queues.get(ref(mapping.Properties.EventSourceArn)!)!;
      const consumer = functions.get(ref(mapping.Properties.FunctionName)!)!;
      expect(Number(queue.Properties.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(consumer.Properties.Timeout));
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
  });

  it('give every rule target a retry policy and its own dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [, rule] of rules) {
      for (const target of rule.Properties.Targets as { RetryPolicy?: { MaximumRetryAttempts: number }; DeadLetterConfig?: { Arn: unknown } }[]) {
        expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
        expect(queues.has(ref(target.DeadLetterConfig?.Arn)!)).toBe(true);
      }
    }
  });

  it('give every relay rule and schedule target, in every region, a retry policy and its own dead-letter queue', () => {
    const all = [...templates.values()].flatMap((t) => Object.entries((t.toJSON() as { Resources: Record<string, Resource> }).Resources));
    const allQueues = new Set(all.filter(([, r]) => r.Type === 'AWS::SQS::Queue').map(([id]) => id));
    const relayRules = all.filter(([, r]) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.EventBusName ?? '').includes('Relay'));
    const schedules = all.filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule');
    // The example relays one Salesforce org into eu-west-1 on two channels, change events and platform events
    // (a relay rule on each partner bus, one reconciliation schedule for the org);
    // each region bills at month end and polls the Kantata instance and the NetSuite account serving it;
    // eu-west-1 keeps the Business Central environment of acme-de subscribed.
    expect(relayRules.length).toBe(2);
    expect(
      schedules
        .map(([, r]) => JSON.parse((r.Properties.Target as { Input: string }).Input) as Record<string, string>)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { instance: 'business-central-de', reason: 'schedule' },
      { instance: 'kantata-global', reason: 'schedule' },
      { instance: 'kantata-global', reason: 'schedule' },
      { instance: 'netsuite-eu', reason: 'schedule' },
      { instance: 'netsuite-us', reason: 'schedule' },
      { instance: 'salesforce-main', reason: 'schedule' },
      { reason: 'schedule' },
      { reason: 'schedule' },
      // The daily billing reconciliation, one per stack, with no instance: it reconciles every legal entity of the region.
      { reason: 'schedule' },
      { reason: 'schedule' },
      { reason: 'schedule' },
      { reason: 'schedule' },
    ]);
    for (const [, rule] of relayRules) {
      for (const target of rule.Properties.Targets as { RetryPolicy?: { MaximumRetryAttempts: number }; DeadLetterConfig?: { Arn: unknown } }[]) {
        expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
        expect(allQueues.has(ref(target.DeadLetterConfig?.Arn)!)).toBe(true);
      }
    }
    for (const [, schedule] of schedules) {
      const target = schedule.Properties.Target as { RetryPolicy?: { MaximumRetryAttempts: number }; DeadLetterConfig?: { Arn: unknown }; Input: string };
      expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(allQueues.has(ref(target.DeadLetterConfig?.Arn)!)).toBe(true);
    }
  });

  it('keep every queue encrypted with the region key and TLS-only', () => {
    const policies = ofType('AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(p.Properties));
    for (const [id, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId, id).toBeDefined();
      expect(
        policies.some((p) => p.includes(`"Ref":"${id}"`) && p.includes('aws:SecureTransport')),
        id,
      ).toBe(true);
    }
  });

  it('run functions on Node 24 with their own log group and no AWS managed policy', () => {
    expect(functions.size).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs24.x');
      expect(fn.Properties.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON', LogGroup: expect.anything() });
    }
    const roles = ofType('AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'));
    for (const [id, role] of roles) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
  });

  it('substitutes every ASL placeholder with a function ARN, inline, so nothing is left unresolved', () => {
    const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0]!;
    const definition = JSON.stringify(machine.Properties.DefinitionString);

    expect(Object.keys(machine.Properties.DefinitionSubstitutions as object).sort()).toEqual([
      'AddPsaProjectPlanArn',
      'ApplyPsaRateCardArn',
      'ClaimDealRevisionArn',
      'CreateErpProjectArn',
      'CreatePsaProjectArn',
      'FindOrCreateErpCustomerArn',
      'PublishProjectActivatedArn',
      'RecordExceptionArn',
      'ValidateOpportunityArn',
      'WriteBackToCrmArn',
    ]);
    expect(definition).toContain('OpportunityNeedsAttention');
  });
});

describe('workflow construct ids', () => {
  it("name each workflow's construct after the workflow, not after its first state machine", () => {
    const [stack] = stacks;
    expect(Object.fromEntries([...stack!.workflows].map(([workflow, w]) => [workflow, w.node.path]))).toEqual({
      'opportunity-to-project': 'PsSync-Demo-us-east-1/OpportunityToProject',
      'time-to-invoice': 'PsSync-Demo-us-east-1/TimeToInvoice',
      // A workflow without a state machine is named the same way.
      'invoice-payment-status': 'PsSync-Demo-us-east-1/InvoicePaymentStatus',
      reconciliation: 'PsSync-Demo-us-east-1/Reconciliation',
      // The ops API's parts, under a name no workflow takes.
      ops: 'PsSync-Demo-us-east-1/Ops',
    });
    expect(workflowConstructId('time-to-invoice')).toBe('TimeToInvoice');
  });

  it("derive the logical ids of a workflow's queues from the workflow's name", () => {
    for (const stack of stacks) {
      for (const workflow of stack.workflows.values()) {
        for (const [id, q] of workflow.queues) {
          expect(stack.getLogicalId(q.queue.node.defaultChild as CfnResource)).toMatch(new RegExp(`^${workflow.node.id}${id}Queue[0-9A-F]{8}$`));
        }
      }
    }
    // Unchanged since the workflow was named after its state machine of the same name.
    expect(Object.keys(template.Resources)).toContain('TimeToInvoiceBillingRunStartsQueueB4E27FBE');
  });
});

describe('target dead-letter queues', () => {
  it('give each rule, relay rule and schedule the target-failure queue made for it, and every one of them one', () => {
    let checked = 0;
    for (const stack of stacks) {
      const stackResources = (templates.get(stack.region)!.toJSON() as { Resources: Record<string, Resource> }).Resources;
      for (const workflow of stack.workflows.values()) {
        const delivering = workflow.node.children.filter((c) => c instanceof events.Rule || c instanceof scheduler.Schedule).map((c) => c.node.id);
        expect([...workflow.targetFailures.keys()].sort()).toEqual(delivering.sort());
        for (const [name, failures] of workflow.targetFailures) {
          const resource = stackResources[stack.getLogicalId(workflow.node.findChild(name).node.defaultChild as CfnResource)]!;
          const target =
            resource.Type === 'AWS::Events::Rule'
              ? (resource.Properties.Targets as { DeadLetterConfig: { Arn: unknown } }[])[0]!
              : (resource.Properties.Target as { DeadLetterConfig: { Arn: unknown } });
          expect(ref(target.DeadLetterConfig.Arn), name).toBe(stack.getLogicalId(failures.queue.node.defaultChild as CfnResource));
          expect(failures.node.path).toBe(`${workflow.node.path}/${name}TargetFailures`);
          checked += 1;
        }
      }
    }
    // Four rules on our bus and the failed-executions rule on the default bus in each region, the two
    // relay rules (one per channel) and the twelve schedules of the test above.
    expect(checked).toBe(5 * 2 + 2 + 12);
  });
});

describe('Business Central webhook', () => {
  it('routes the notification URL to its receiver and tells the renewal job the public URL it subscribes', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, r]) => JSON.stringify(r.Properties));
    const renewal = [...functions()].find(([id]) => id.includes('RenewBusinessCentralSubscriptions'))![1];
    const receiver = [...functions()].find(([id]) => id.includes('ReceiveBusinessCentralNotification'))![1];

    expect(methods.some((m) => m.includes('ReceiveBusinessCentralNotification') && m.includes('"HttpMethod":"POST"'))).toBe(true);
    expect(JSON.stringify((renewal.Properties.Environment as { Variables: Record<string, unknown> }).Variables.WEBHOOK_PUBLIC_BASE_URL)).toContain(
      'execute-api',
    );
    expect((receiver.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toHaveProperty('BUSINESS_CENTRAL_NOTIFICATIONS_QUEUE_URL');
  });

  function functions() {
    return new Map(ofType('AWS::Lambda::Function'));
  }
});

describe('vendor secret grants', () => {
  it("let a region's functions read only the secrets of the instances that serve its legal entities", () => {
    const policies = JSON.stringify(Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Policy'));
    const euPolicies = JSON.stringify(
      Object.values((synthesizeDeployment(exampleConfig()).templates.get('eu-west-1')!.toJSON() as { Resources: Record<string, Resource> }).Resources).filter(
        (r) => r.Type === 'AWS::IAM::Policy',
      ),
    );

    expect(policies).toContain('ps-sync/demo/netsuite-us-??????');
    expect(policies).not.toContain('ps-sync/demo/netsuite-eu');
    expect(policies).not.toContain('ps-sync/demo/business-central-de');
    expect(euPolicies).toContain('ps-sync/demo/netsuite-eu-??????');
    expect(euPolicies).toContain('ps-sync/demo/salesforce-main-??????');
    expect(euPolicies).not.toContain('ps-sync/demo/netsuite-us');
  });

  it('alarm on the depth of every target-failure queue itself, where failed deliveries land, and on every dead-letter queue', () => {
    const alarmedQueues = new Set(
      ofType('AWS::CloudWatch::Alarm').flatMap(([, alarm]) =>
        ((alarm.Properties.Dimensions as { Name: string; Value: unknown }[] | undefined) ?? []).filter((d) => d.Name === 'QueueName').map((d) => ref(d.Value)),
      ),
    );
    const queueIds = ofType('AWS::SQS::Queue').map(([id]) => id);
    const targetFailureQueues = queueIds.filter((id) => id.includes('TargetFailures') && !id.includes('DeadLetters'));
    const deadLetterQueues = queueIds.filter((id) => id.includes('DeadLetters'));

    expect(targetFailureQueues.length).toBeGreaterThan(5);
    expect(targetFailureQueues.filter((id) => !alarmedQueues.has(id))).toEqual([]);
    expect(deadLetterQueues.filter((id) => !alarmedQueues.has(id))).toEqual([]);
  });

  it('give the Kantata poll the Kantata secret and its own request queue, and the Certinia intake no Kantata secret', () => {
    const policyOf = (functionId: string) => {
      const [, fn] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith(`TimeToInvoice${functionId}`))!;
      const role = ref(fn.Properties.Role);
      return JSON.stringify(
        ofType('AWS::IAM::Policy')
          .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => ref(r) === role))
          .map(([, p]) => p.Properties.PolicyDocument),
      );
    };

    const poll = policyOf('PollKantataApprovedWork');
    const certinia = policyOf('HandleCertiniaChange');

    expect(poll).toContain('ps-sync/demo/kantata-global-??????');
    expect(poll).not.toMatch(/ps-sync\/demo\/(hubspot|netsuite|salesforce|workday)/);
    expect(poll).toMatch(/PsaPollRequests[A-Za-z0-9]*"/);
    expect(certinia).not.toContain('ps-sync/demo/kantata-global');
    expect(certinia).not.toMatch(/PsaPollRequests[A-Za-z0-9]*"/);
  });
});

describe('state machine encryption', () => {
  const machines = ofType('AWS::StepFunctions::StateMachine');
  const [keyId] = ofType('AWS::KMS::Key').map(([id]) => id);
  type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
  const statements = ofType('AWS::IAM::Policy').flatMap(([, p]) =>
    ((p.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((st) => ({ roles: p.Properties.Roles as unknown[], ...st })),
  );
  const actions = (st: Statement) => [st.Action].flat();

  it("encrypts every state machine's definition and execution history with the region's key", () => {
    expect(machines.length).toBeGreaterThan(0);
    for (const [, machine] of machines) {
      expect(machine.Properties.EncryptionConfiguration).toEqual({
        Type: 'CUSTOMER_MANAGED_KMS_KEY',
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        KmsDataKeyReusePeriodSeconds: 300,
      });
    }
  });

  it('lets each execution role use the key for its own state machine, named so the condition can name it', () => {
    for (const [, machine] of machines) {
      const name = machine.Properties.StateMachineName as string;
      expect(name).toMatch(/^PsSync-Demo-us-east-1-/);
      const own = statements.filter(
        (st) =>
          st.roles.some((r) => ref(r) === ref(machine.Properties.RoleArn)) &&
          // A literal ARN where the account is pinned, a join where it is not: either way it ends with the name.
          JSON.stringify(st.Condition?.StringEquals?.['kms:EncryptionContext:aws:states:stateMachineArn'] ?? '').includes(`:stateMachine:${name}"`),
      );
      expect(own.map(actions)).toEqual([['kms:Decrypt', 'kms:GenerateDataKey']]);
    }
  });

  it('lets every function that starts executions encrypt their input with the key, for that state machine only', () => {
    const starts = statements.filter((st) => actions(st).includes('states:StartExecution'));
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) {
      const kms = statements.filter((st) => st.roles.some((r) => ref(r) === ref(start.roles[0])) && ref(st.Resource) === keyId && st.Condition !== undefined);
      // One machine, or several in one statement (the ops API's retry may start either workflow's).
      for (const resource of Array.isArray(start.Resource) ? start.Resource : [start.Resource]) {
        expect(kms.map((st) => [[...actions(st)].sort(), st.Condition])).toContainEqual([
          ['kms:Decrypt', 'kms:GenerateDataKey'],
          { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': { Ref: ref(resource) } } },
        ]);
      }
    }
  });
});

describe('stateMachineName', () => {
  it("keeps the id whole and the stack prefix unique within Step Functions' 80 characters", () => {
    const long = `${'Ps'.repeat(40)}-Prod-eu-west-1`;

    expect(stateMachineName('PsSync-Demo-us-east-1', 'TimeToInvoice')).toBe('PsSync-Demo-us-east-1-TimeToInvoice');
    expect(stateMachineName(long, 'TimeToInvoice')).toHaveLength(80);
    expect(stateMachineName(long, 'TimeToInvoice')).not.toBe(stateMachineName(`${long}2`, 'TimeToInvoice'));
    expect(() => stateMachineName('PsSync-Demo', 'x'.repeat(80))).toThrow(/no room/);
  });
});

describe('scheduleName', () => {
  it('keeps the declared name whole and the stack prefix unique within 64 characters', () => {
    const id = 'BusinessCentralSubscriptionRenewal-business-central-uk';
    const a = scheduleName('ps-sync-prod-eu-west-1', id);
    const b = scheduleName('ps-sync-prod2-eu-west-1', id);

    expect(scheduleName('ps-sync-prod', 'MonthEndBilling')).toBe('ps-sync-prod-MonthEndBilling');
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name.endsWith(`-${id}`)).toBe(true);
    }
    expect(a).not.toBe(b);
    expect(() => scheduleName('ps-sync-prod', 'x'.repeat(60))).toThrow(/no room/);
  });
});
