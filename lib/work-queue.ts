import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link WorkQueue}. */
export interface WorkQueueProps {
  /** Encrypts messages at rest. */
  readonly encryptionKey: kms.IKey;
  /** At least six times the consumer's timeout, so a slow batch is not redelivered while still running. */
  readonly visibilityTimeout: Duration;
  /** @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /** Receives before a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Notified when the dead-letter queue holds anything. */
  readonly alarmTopic: sns.ITopic;
  /** What the queue carries, for the alarm description. */
  readonly description: string;
}

/**
 * A work queue with its dead-letter queue: both encrypted with the region key, TLS-only, the DLQ
 * keeping messages for the 14-day maximum (longer than the source, so a redrive never finds them
 * expired), redrive to the source allowed (the SQS console's "Start DLQ redrive"), and an alarm as
 * soon as one message lands in the DLQ.
 */
export class WorkQueue extends Construct {
  /** The work queue. */
  public readonly queue: sqs.Queue;
  /** Its dead-letter queue. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Fires when the dead-letter queue is not empty. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const retention = props.retentionPeriod ?? Duration.days(4);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    if (retention.toSeconds() >= Duration.days(14).toSeconds()) {
      throw new Error(`${id}: a work queue keeps messages less than its 14-day DLQ, got ${retention.toDays()} days`);
    }
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: retention,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'DeadLettersAlarm', {
        alarmDescription: `Messages failed processing and wait in the DLQ: ${props.description}. Fix the cause, then redrive from the SQS console.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}
