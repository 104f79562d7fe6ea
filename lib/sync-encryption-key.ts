import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties of {@link SyncEncryptionKey}. */
export interface SyncEncryptionKeyProps {
  /** Alias for the key, derived from the deployment name and stage by the stack. */
  readonly alias: string;
  /**
   * What happens to the key when the stack is deleted. A deleted key makes every table, archive and
   * log it encrypted unreadable, so the default keeps it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The region's customer-managed KMS key. It earns its keep because it encrypts business data
 * (cross-references, idempotency records with vendor responses, archived events, alarm messages,
 * webhook access logs) under a key whose use the firm can audit in CloudTrail and revoke, which AWS
 * owned keys do not allow. Rotation is on.
 */
export class SyncEncryptionKey extends Construct {
  /** The key. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SyncEncryptionKeyProps) {
    super(scope, id);
    const { region, account } = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: 'Encrypts the integration stack data at rest: tables, event archive, alarm topic, logs',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts log groups with this key only when the key policy names the service,
    // scoped to this account's log groups in this region. Hand-written: no grant* method carries this
    // encryption-context condition and the action set CloudWatch Logs documents (Describe* included).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:*` } },
      }),
    );
    // CloudWatch alarms publish to the encrypted alarm topic; without this their notifications are dropped.
    // Hand-written: grantEncryptDecrypt would add kms:Encrypt and kms:ReEncrypt*, which alarms do not need.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }
}
