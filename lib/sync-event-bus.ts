import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties of {@link SyncEventBus}. */
export interface SyncEventBusProps {
  /** Encrypts events on the bus and in the archive. */
  readonly encryptionKey: kms.IKey;
  /** How long the archive keeps events for replay. */
  readonly archiveRetention: Duration;
}

/**
 * Our own EventBridge bus, which carries canonical events only, with an archive of everything
 * published to it so ops can replay a window after fixing a consumer. Replayed events keep their
 * canonical ids, and consumers deduplicate on those, so a replay creates nothing twice.
 */
export class SyncEventBus extends Construct {
  /** The canonical event bus. */
  public readonly bus: events.EventBus;
  /** The archive of every event published on the bus. */
  public readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: SyncEventBusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // A name derived from the stack lets the archive's key-policy statement name the bus by a literal
    // ARN; with the bus's own ARN attribute, key → bus → key would be a circular dependency.
    const eventBusName = `${stack.stackName}-canonical`;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName,
      description: 'Canonical integration events (opportunity won, project activated, ...)',
      kmsKey: props.encryptionKey,
    });
    const busByArn = events.EventBus.fromEventBusArn(
      this,
      'BusByArn',
      stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName }),
    );
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: busByArn,
      description: 'Every canonical event, kept for replay',
      // Only events published in this account: replayed events are marked by EventBridge and match too.
      eventPattern: { account: [stack.account] },
      retention: props.archiveRetention,
      kmsKey: props.encryptionKey,
    });
    this.archive.node.addDependency(this.bus);
  }
}
