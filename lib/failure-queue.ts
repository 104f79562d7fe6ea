import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link FailureQueue}. */
export interface FailureQueueProps {
  /** Encrypts messages at rest. */
  readonly encryptionKey: kms.IKey;
  /** Notified as soon as the queue holds a message. */
  readonly alarmTopic: sns.ITopic;
  /** What failed to be delivered, for the alarm description. */
  readonly description: string;
}

/**
 * Where a rule's or schedule's target puts what it could not deliver: a queue nobody consumes, encrypted
 * with the region key, TLS-only, keeping messages the 14-day maximum, alarmed at its first message.
 * Unlike a {@link WorkQueue} it has no dead-letter queue of its own: nothing receives from it, so nothing
 * could ever move there (and a stack stays within CloudFormation's 500 resources).
 */
export class FailureQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;
  /** Fires when the queue is not empty. */
  public readonly failuresAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is a dead-letter queue: an EventBridge rule's or Scheduler schedule's target DLQ (cdk-nag recognises only SQS redrive policies). Nothing receives from it, so a DLQ of its own could never fill; its alarm fires at the first message.",
    });
    this.failuresAlarm = this.queue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'FailuresAlarm', {
        alarmDescription: `Deliveries failed and wait in this queue: ${props.description}. Fix the cause, then send them to the work queue again (docs/operations.md).`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.failuresAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}
