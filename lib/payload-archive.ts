import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { OperationsConfig } from '../canonical/deployment-config';

/** The key prefix every archived payload is written under: `payloads/<sha256>`. */
export const PAYLOAD_PREFIX = 'payloads/';

/** Properties of {@link PayloadArchive}. */
export interface PayloadArchiveProps {
  /** The region's key (lib/sync-encryption-key.ts); objects are encrypted with it, through an S3 bucket key. */
  readonly encryptionKey: kms.IKey;
  /** The configured lock: mode and days (`operations.payloadRetention`). */
  readonly retention: OperationsConfig['payloadRetention'];
  /**
   * What happens to the bucket when the stack is deleted. Locked objects cannot be deleted before their
   * lock lapses (in COMPLIANCE mode not even by the root user), so the bucket is always kept.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The raw inbound payloads (webhook bodies) and the bodies of our vendor writes, kept unchanged for the
 * configured number of days and referenced from the audit trail by their SHA-256: each is an object
 * `payloads/<sha256>`, written once (`If-None-Match: *`), so a retry or replay never makes a second.
 *
 * The bucket has Object Lock with a default retention (GOVERNANCE unless the deployment opts in to
 * COMPLIANCE), versioning (which Object Lock needs), SSE-KMS with the region's key and a bucket key,
 * public access blocked and TLS required. A lifecycle rule expires each object once its lock has lapsed,
 * so storage does not grow forever. Functions may only put objects (see {@link grantArchive}).
 */
export class PayloadArchive extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: PayloadArchiveProps) {
    super(scope, id);
    const { mode, days } = props.retention;
    this.encryptionKey = props.encryptionKey;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE' ? s3.ObjectLockRetention.compliance(Duration.days(days)) : s3.ObjectLockRetention.governance(Duration.days(days)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          // A version is locked for `days` from its creation: the current version expires then (a delete
          // marker takes its place) and the version itself a day later, by which time its lock has lapsed.
          id: 'ExpireOnceUnlocked',
          expiration: Duration.days(days),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every write is a function putting a content-addressed payload whose hash the append-only audit trail already records, and Object Lock refuses changes and deletes; server access logs would be a second unencrypted store of the same request metadata. Firms that must log reads enable CloudTrail S3 data events on this bucket.',
    });
  }

  /**
   * Lets a function archive payloads, and nothing else: `s3:PutObject` under {@link PAYLOAD_PREFIX}
   * (the bucket's default retention locks each object, so no `s3:PutObjectRetention`), and
   * `kms:GenerateDataKey` on the region's key through S3 only. No read, no delete.
   */
  public grantArchive(grantee: iam.IGrantable & { readonly role?: iam.IRole }): void {
    // Hand-written: bucket.grantPut would add s3:PutObjectLegalHold, s3:PutObjectRetention,
    // s3:PutObjectTagging and s3:Abort*, and kms:Encrypt, kms:ReEncrypt* and kms:Decrypt.
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${PAYLOAD_PREFIX}*`)] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
    });
    if (grantee.role !== undefined)
      Validations.of(grantee.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${PAYLOAD_PREFIX}*]`,
        reason:
          'Payloads are archived as payloads/<sha256>, a key known only once the payload is, so the grant covers the prefix; PutObject alone, and Object Lock keeps every version written there unchanged.',
      });
  }
}
