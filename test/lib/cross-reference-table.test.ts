import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { CROSS_REFERENCE_TABLE } from '../../lambdas/common/cross-reference/table-schema';
import { CrossReferenceTable } from '../../lib/cross-reference-table';
import { TABLE_KEYS } from '../../lib/topology/tables';

function synthesize(removalPolicy?: RemovalPolicy) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const crossReferences = new CrossReferenceTable(stack, 'CrossReferences', { encryptionKey: key, ...(removalPolicy ? { removalPolicy } : {}) });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  crossReferences.grantReadWrite(role);
  return { template: Template.fromStack(stack), keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey) };
}

describe('CrossReferenceTable', () => {
  const { template, keyId } = synthesize();

  it('creates the pk/sk string key schema the registry and its dynalite tests use', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: CROSS_REFERENCE_TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: CROSS_REFERENCE_TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it('encrypts with the given customer-managed key, recovers to a point in time and refuses deletion', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('retains the table when it leaves the stack, unless told otherwise', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    synthesize(RemovalPolicy.DESTROY).template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('grants read and write on the items and use of the key', () => {
    const grants = (statement: object) =>
      template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) } });

    grants({ Action: Match.arrayWith(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) });
    grants({ Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt']), Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('agrees with the key names the local stack reads from TABLE_KEYS', () => {
    expect(TABLE_KEYS.crossReferences).toEqual({ partitionKey: CROSS_REFERENCE_TABLE.partitionKey.name, sortKey: CROSS_REFERENCE_TABLE.sortKey.name });
  });
});
