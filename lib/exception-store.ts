import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { secureTableProps } from './secure-table-defaults';
import { TABLE_KEYS } from './topology/tables';
import { WorkQueue } from './work-queue';

/** Properties of {@link ExceptionStore}. */
export interface ExceptionStoreProps {
  readonly encryptionKey: kms.IKey;
  /** Notified when announcements a consumer failed to handle reach the dead-letter queue. */
  readonly alarmTopic: sns.ITopic;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where business exceptions live: a table that keeps them until resolved (a queue forgets after 14
 * days at most) and a queue that announces each one to whoever watches (a chat or ticket bridge).
 *
 * Key layout of the table:
 * - `pk` (S): `EXCEPTION#<workflow>#<entity type>#<entity id>`: one open exception per workflow and
 *   record, so a retried failure updates it instead of piling up duplicates.
 * - `sk` (S): `OPEN` while unresolved, `RESOLVED#<iso time>` once resolved (history kept).
 * - attributes: `workflow`, `entityType`, `entityId`, `reason`, `remediation`, `execution`,
 *   `correlationId`, `firstSeenAt`, `lastSeenAt`, `occurrences`, `legalEntityId`.
 */
export class ExceptionStore extends Construct {
  /** The durable exceptions table. */
  public readonly table: dynamodb.TableV2;
  /** Announcements of new exceptions. */
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExceptionStoreProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', secureTableProps(TABLE_KEYS.exceptions, props.encryptionKey, props.removalPolicy));
    // Its consumer (a chat or ticket bridge) lives outside the stack; a message it keeps failing on
    // moves to the DLQ like any other, and the exception itself stays in the table regardless.
    const announcements = new WorkQueue(this, 'Announcements', {
      encryptionKey: props.encryptionKey,
      visibilityTimeout: Duration.minutes(5),
      retentionPeriod: Duration.days(7),
      alarmTopic: props.alarmTopic,
      description: 'exception announcements a consumer failed to handle',
    });
    // No alarm on the age of its oldest message: nothing in the stack receives from it, so that age
    // grows from the first exception on (up to the 7-day retention) and would page every deployment.
    // How long an exception has been open is the table's to tell.
    this.queue = announcements.queue;
  }
}
