import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type DeploymentConfigInput, parseDeploymentConfig } from '../../canonical/deployment-config';
import { exampleConfig, exampleConfigInput } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

describe('SyncRegionStack', () => {
  const { stacks, templates } = synthesizeDeployment(exampleConfig());
  const template = (region: string): Template => {
    const found = templates.get(region);
    if (found === undefined) throw new Error(`no stack for ${region}`);
    return found;
  };

  it('creates one stack per configured region, deployed to that region', () => {
    expect(stacks.map((s) => [s.stackName, s.region])).toEqual([
      ['PsSync-Demo-us-east-1', 'us-east-1'],
      ['PsSync-Demo-eu-west-1', 'eu-west-1'],
    ]);
  });

  it('archives every event on our bus, encrypted with the region key, for the configured retention', () => {
    template('us-east-1').hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: 90,
      KmsKeyIdentifier: Match.anyValue(),
      // The example pins the placeholder account (so it cannot be deployed): the stack's own account, literally.
      EventPattern: { account: ['000000000000'] },
    });
    template('us-east-1').hasResourceProperties('AWS::Events::EventBus', {
      Name: 'PsSync-Demo-us-east-1-canonical',
      KmsKeyIdentifier: Match.anyValue(),
    });
  });

  it('associates the Salesforce Event Relay partner source only in the region it is configured for', () => {
    const partnerBus = { EventSourceName: 'aws.partner/salesforce.com/00D5g000000DemoEAA/0YLDemoChannel01' };
    template('eu-west-1').hasResourceProperties('AWS::Events::EventBus', partnerBus);
    expect(template('us-east-1').findResources('AWS::Events::EventBus', { Properties: partnerBus })).toEqual({});
  });

  describe('one org relaying change events and platform events on two channels', () => {
    const CDC = 'aws.partner/salesforce.com/00D5g000000DemoEAA/0YLDemoChannel01';
    const PLATFORM = 'aws.partner/salesforce.com/00D5g000000DemoEAA/0YLDemoChannel02';
    const relayRulesOf = (t: Template) =>
      Object.values(t.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.EventBusName ?? '').includes('Relay'));
    const busIdOf = (t: Template, source: string) => Object.keys(t.findResources('AWS::Events::EventBus', { Properties: { EventSourceName: source } }))[0];

    it('accepts each partner source with its own bus, the first keeping the construct id of a lone relay', () => {
      const eu = template('eu-west-1');
      expect(eu.findResources('AWS::Events::EventBus', { Properties: { EventSourceName: Match.stringLikeRegexp('^aws\\.partner/') } })).toHaveProperty([
        busIdOf(eu, CDC)!,
      ]);
      // A bus replaced under the same name would fail the deploy, so the first relay's id stays as it was.
      expect(busIdOf(eu, CDC)).toMatch(/^EventRelaysRelaysalesforcemain[0-9A-F]{8}$/);
      expect(busIdOf(eu, PLATFORM)).toMatch(/^EventRelaysRelaysalesforcemain0YLDemoChannel02[0-9A-F]{8}$/);
    });

    it('puts the change-event rule on the CDC bus and the won-deal rule on the platform-event bus', () => {
      const eu = template('eu-west-1');
      const rules = relayRulesOf(eu).map((r) => ({ bus: (r.Properties.EventBusName as { Ref: string }).Ref, pattern: r.Properties.EventPattern }));
      expect(rules).toEqual(
        expect.arrayContaining([
          { bus: busIdOf(eu, CDC), pattern: { 'detail-type': ['OpportunityChangeEvent'] } },
          { bus: busIdOf(eu, PLATFORM), pattern: { 'detail-type': ['Deal_Won__e'] } },
        ]),
      );
      expect(rules).toHaveLength(2);
    });

    it("listens for the org's own won-deal platform event", () => {
      const input = exampleConfigInput();
      const salesforce = input.vendorInstances.find((v) => v.id === 'salesforce-main')!;
      salesforce.crm = { ...salesforce.crm!, dealWonEvent: { apiName: 'PS_Deal_Closed__e', opportunityIdField: 'PS_Opportunity__c' } };
      const eu = synthesizeDeployment(parseDeploymentConfig(input)).templates.get('eu-west-1')!;
      expect(relayRulesOf(eu).map((r) => r.Properties.EventPattern)).toContainEqual({ 'detail-type': ['PS_Deal_Closed__e'] });
    });
  });

  it('keeps idempotency records encrypted, recoverable and expiring through TTL', () => {
    template('eu-west-1').hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('throttles the webhook stage as configured, with JSON access logs and no body in execution logs', () => {
    template('us-east-1').hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'demo',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
      TracingEnabled: false,
    });
  });

  it('puts WAF with a per-IP rate limit in front of the webhook stage, without the body-size rules that drop webhooks', () => {
    const t = template('us-east-1');
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
          Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP' } },
        }),
      ]),
    });
    expect(JSON.stringify(t.findResources('AWS::WAFv2::WebACL'))).not.toContain('AWSManagedRulesCommonRuleSet');
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: Match.anyValue() });
  });

  it('leaves WAF out where the configuration switches it off', () => {
    const input = exampleConfigInput();
    input.regions[0]!.webhooks = { waf: false };
    const { templates: withoutWaf } = synthesizeDeployment(parseDeploymentConfig(input));

    expect(withoutWaf.get('us-east-1')?.findResources('AWS::WAFv2::WebACL')).toEqual({});
    expect(Object.keys(withoutWaf.get('eu-west-1')?.findResources('AWS::WAFv2::WebACL') ?? {})).toHaveLength(1);
  });

  it('sends alarms to an encrypted topic that refuses publishes without TLS', () => {
    const t = template('eu-west-1');
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'integration-ops@example.com' });
  });

  it('rotates the region key and lets CloudWatch Logs use it only for this account and region', () => {
    template('eu-west-1').hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('synthesizes the same templates twice (no timestamps or random values)', () => {
    const again = synthesizeDeployment(exampleConfig()).templates;

    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(again.get(region)?.toJSON()).toEqual(template(region).toJSON());
    }
  });

  it('puts no secret name or value into a template other than as a reference', () => {
    const all = JSON.stringify([...templates.values()].map((t) => t.toJSON()));

    expect(all).not.toMatch(/SecretString|pat-na1-|BEGIN PRIVATE KEY/);
  });
});

describe('SyncRegionStack tags and termination protection', () => {
  // What the CLI deploys: stack tags and protection live in the cloud assembly, not in the template.
  const deployed = (input: DeploymentConfigInput) => {
    const { app, stacks } = synthesizeDeployment(parseDeploymentConfig(input));
    const assembly = app.synth();
    return stacks.map((s) => assembly.getStackByName(s.stackName));
  };

  it("tags every stack with the deployment's owner and cost center, for CloudFormation to put on each resource", () => {
    const stacks = deployed(exampleConfigInput());

    expect(stacks).toHaveLength(2);
    for (const stack of stacks) expect(stack.tags).toEqual({ owner: 'integration-platform', 'cost-center': 'CC-4100' });
  });

  it('protects every stack from termination unless its region turns protection off', () => {
    const input = exampleConfigInput();
    expect(deployed(input).map((s) => s.terminationProtection)).toEqual([true, true]);

    input.regions[1]!.terminationProtection = false;
    expect(deployed(input).map((s) => [s.stackName, s.terminationProtection])).toEqual([
      ['PsSync-Demo-us-east-1', true],
      ['PsSync-Demo-eu-west-1', false],
    ]);
  });
});

describe('SyncRegionStack tables and exception store', () => {
  const { templates } = synthesizeDeployment(exampleConfig());
  const t = templates.get('eu-west-1')!;

  it('keeps cross-references in an encrypted, recoverable pk/sk table that refuses deletion', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('announces exceptions on an encrypted queue with a DLQ, and sets no alarm on its age (nothing in the stack receives from it)', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 7 * 86400,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    expect(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ApproximateAgeOfOldestMessage' } })).toEqual({});
  });

  it('expires audit entries through TTL only, as the retention setting says', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
  });
});

describe('SyncRegionStack operations dashboard', () => {
  it('shows executions, dead-letter depth, new exceptions, function errors and throttles, and webhook answers', () => {
    const { templates } = synthesizeDeployment(exampleConfig());
    const [dashboard] = Object.values(templates.get('us-east-1')!.findResources('AWS::CloudWatch::Dashboard'));
    // The body is JSON joined with references; its literal parts are enough to find metric names.
    const parts = (dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = parts.filter((p): p is string => typeof p === 'string').join('');

    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ApproximateNumberOfMessagesVisible',
      'NumberOfMessagesSent',
      '"Errors"',
      '"Throttles"',
      '5XXError',
      'OpportunityToProject: executions',
    ]) {
      expect(body).toContain(metric);
    }
    // Nothing receives announcements, so their age would only show the time since the first exception.
    expect(body).not.toContain('ApproximateAgeOfOldestMessage');
  });
});

describe('SyncRegionStack outputs', () => {
  const webhookOutputs = (t: Template) =>
    Object.entries(t.findOutputs('*'))
      .filter(([key]) => key.includes('WebhookUrl'))
      .map(([key, o]) => [key, o.Value as unknown]);

  it('gives the URL to register per HubSpot and Business Central instance of the region, on the API URL', () => {
    const { templates } = synthesizeDeployment(exampleConfig());
    // CDK merges adjacent literals, so outputs are compared as their joined text, references as JSON.
    const text = (value: unknown) =>
      typeof value === 'string'
        ? value
        : (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
    const apiUrl = text(templates.get('eu-west-1')!.findOutputs('WebhookBaseUrl').WebhookBaseUrl!.Value);

    expect(webhookOutputs(templates.get('eu-west-1')!).map(([key, value]) => [key, text(value)])).toEqual([
      ['HubSpotWebhookUrlHubspotMain', `${apiUrl}webhooks/hubspot/hubspot-main`],
      ['BusinessCentralWebhookUrlBusinessCentralDe', `${apiUrl}webhooks/business-central/business-central-de`],
    ]);
    expect(webhookOutputs(templates.get('us-east-1')!).map(([key]) => key)).toEqual(['HubSpotWebhookUrlHubspotMain']);
  });

  it('uses the configured public base URL when a custom domain is in front', () => {
    const input = exampleConfigInput();
    input.regions[1]!.webhooks = { publicBaseUrl: 'https://hooks.example.com/ps/' };
    const { templates } = synthesizeDeployment(parseDeploymentConfig(input));

    expect(webhookOutputs(templates.get('eu-west-1')!)).toEqual([
      ['HubSpotWebhookUrlHubspotMain', 'https://hooks.example.com/ps/webhooks/hubspot/hubspot-main'],
      ['BusinessCentralWebhookUrlBusinessCentralDe', 'https://hooks.example.com/ps/webhooks/business-central/business-central-de'],
    ]);
  });

  it('names every table, work queue and state machine the smoke checks', () => {
    const outputs = Object.keys(synthesizeDeployment(exampleConfig()).templates.get('us-east-1')!.findOutputs('*'));

    expect(outputs).toEqual(
      expect.arrayContaining([
        'IdempotencyTableName',
        'AuditTrailTableName',
        'ExceptionQueueUrl',
        'HubspotDealEventsQueueUrl',
        'OpportunityToProjectStateMachineArn',
      ]),
    );
  });
});
