import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Properties of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Encrypts alarm messages, which can name customers and invoices. */
  readonly encryptionKey: kms.IKey;
  /**
   * E-mail addresses subscribed to every alarm of the region.
   * @default - no subscriptions; subscribe a pager or chat integration outside the stack
   */
  readonly emails?: readonly string[];
}

/** The SNS topic every alarm of the region notifies: encrypted, and refusing publishes without TLS. */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Integration alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
