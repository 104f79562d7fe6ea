import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { PayloadArchive } from '../../lib/payload-archive';
import { STACK_OUTPUTS } from '../../lib/topology/outputs';
import { exampleConfig, exampleConfigInput } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

const { stacks, templates } = synthesizeDeployment(exampleConfig());
const stack = stacks[0]!;
const template = templates.get(stack.region)!;
const bucketId = stack.getLogicalId(stack.payloadArchive.bucket.node.defaultChild as never);
const keyId = stack.getLogicalId(stack.encryptionKey.key.node.defaultChild as never);

describe('the payload archive', () => {
  it('locks every object in GOVERNANCE mode for 30 days by default, on a versioned bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('encrypts with the region key through a bucket key, and blocks every kind of public access', () => {
    const bucket = template.toJSON().Resources[bucketId];
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
      ],
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('refuses every request not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires objects once their lock has lapsed, so storage does not grow forever', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Status: 'Enabled', ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
          Match.objectLike({ Status: 'Enabled', ExpiredObjectDeleteMarker: true }),
        ],
      },
    });
  });

  it("names the bucket in the stack's outputs and in the environment of the functions that archive", () => {
    template.hasOutput(STACK_OUTPUTS.payloadArchiveBucketName, { Value: { Ref: bucketId } });
    const intake = stack.workflows.get('opportunity-to-project')!.functions.get('ReceiveHubSpotWebhook')!;
    const writer = stack.workflows.get('opportunity-to-project')!.functions.get('CreateErpProject')!;
    for (const fn of [intake, writer])
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Role: { 'Fn::GetAtt': [stack.getLogicalId(fn.role!.node.defaultChild as never), 'Arn'] },
        Environment: { Variables: Match.objectLike({ PAYLOAD_ARCHIVE_BUCKET_NAME: { Ref: bucketId } }) },
      });
  });

  it("gives a function's role PutObject under payloads/ and GenerateDataKey on the region key through S3, nothing more", () => {
    const fn = stack.workflows.get('opportunity-to-project')!.functions.get('ReceiveHubSpotWebhook')!;
    const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/payloads/*']] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    });
  });

  it('takes COMPLIANCE mode and years only when the deployment opts in', () => {
    const input = exampleConfigInput();
    const config = parseDeploymentConfig({ ...input, operations: { ...input.operations, payloadRetention: { mode: 'COMPLIANCE', days: 2555 } } });
    const lone = new Stack(new App(), 'Lone', { env: { region: 'eu-west-1', account: '000000000000' } });
    new PayloadArchive(lone, 'Archive', { encryptionKey: new kms.Key(lone, 'Key'), retention: config.operations.payloadRetention });

    Template.fromStack(lone).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 2555 })]) },
    });
    expect(() => parseDeploymentConfig({ ...input, operations: { payloadRetention: { days: 3651 } } })).toThrow();
    expect(exampleConfig().operations.payloadRetention).toEqual({ mode: 'GOVERNANCE', days: 30 });
  });
});
