import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OPEN_EXCEPTIONS_INDEX } from '../../lambdas/common/exception-table-schema';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

// The ops API of each regional stack: a REST API of its own that API Gateway guards with AWS_IAM on
// every method and a resource policy for the account, so an unsigned request never reaches a function.
const { stacks, templates } = synthesizeDeployment(exampleConfig());

describe.each(stacks.map((s) => [s.region, s] as const))('the ops API in %s', (region, stack) => {
  const template = templates.get(region)!;
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const opsApiId = stack.getLogicalId(stack.opsApi!.api.node.defaultChild as never);
  const webhookApiId = stack.getLogicalId(stack.webhookApi.api.node.defaultChild as never);
  const methodsOf = (apiId: string) =>
    Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method' && (r.Properties.RestApiId as { Ref: string }).Ref === apiId);

  /** `GET /ops/dlqs/{queue}/messages` → its authorization, for each method of an API. */
  const routesOf = (apiId: string) => {
    const pathOf = (ref: unknown): string => {
      const id = (ref as { Ref?: string }).Ref;
      const resource = id === undefined ? undefined : resources[id];
      return resource?.Type === 'AWS::ApiGateway::Resource' ? `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}` : '';
    };
    return Object.fromEntries(
      methodsOf(apiId).map((m) => [`${String(m.Properties.HttpMethod)} ${pathOf(m.Properties.ResourceId)}`, m.Properties.AuthorizationType]),
    );
  };

  it('takes AWS_IAM authorization on every method, so API Gateway refuses an unsigned request with 403', () => {
    const declared = WORKFLOWS.flatMap((w) => w.routes.filter((r) => r.api === 'operations').map((r) => `${r.method} /${r.path}`));
    expect(Object.keys(routesOf(opsApiId)).sort()).toEqual([...declared].sort());
    expect(new Set(Object.values(routesOf(opsApiId)))).toEqual(new Set(['AWS_IAM']));
  });

  it('serves the DLQ commands (list, peek, redrive), AWS_IAM like the rest', () => {
    expect(routesOf(opsApiId)).toMatchObject({
      'GET /ops/dlqs': 'AWS_IAM',
      'GET /ops/dlqs/{queue}/messages': 'AWS_IAM',
      'POST /ops/dlqs/{queue}/redrive': 'AWS_IAM',
    });
  });

  it('keeps the ops routes off the public webhook API, and webhook routes off the ops API', () => {
    const paths = (apiId: string) =>
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::ApiGateway::Resource' && (r.Properties.RestApiId as { Ref: string }).Ref === apiId)
        .map((r) => String(r.Properties.PathPart));
    expect(paths(webhookApiId)).not.toContain('ops');
    expect(paths(opsApiId)).not.toContain('webhooks');
    expect(methodsOf(webhookApiId).every((m) => m.Properties.AuthorizationType === 'NONE')).toBe(true);
  });

  it('denies every principal outside the account in its resource policy', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: Match.stringLikeRegexp('-ops$'),
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'execute-api:Invoke', Condition: { StringNotEquals: { 'aws:PrincipalAccount': stack.account } } }),
        ]),
      },
    });
  });

  it('publishes its URL for npm run ops, and gives the exceptions table the inbox index', () => {
    template.hasOutput('OpsApiUrl', {});
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: OPEN_EXCEPTIONS_INDEX.name,
          KeySchema: [
            { AttributeName: OPEN_EXCEPTIONS_INDEX.partitionKey, KeyType: 'HASH' },
            { AttributeName: OPEN_EXCEPTIONS_INDEX.sortKey, KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });
});
