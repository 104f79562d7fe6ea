import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../canonical/deployment-config';
import { regionRelays } from './topology/declarations';

/** Properties of {@link EventRelaySources}. */
export interface EventRelaySourcesProps {
  readonly config: DeploymentConfig;
  readonly region: string;
}

/**
 * Associates Salesforce Event Relay partner event sources with this account: in EventBridge a partner
 * source is accepted by creating an event bus with the source's name. An org may have several relays
 * (one per channel: change events and platform events travel on different channels), so several buses.
 * The rules that turn relayed events into canonical ones are added by the workflows, per relay.
 */
export class EventRelaySources extends Construct {
  /** The partner event bus of each relay into the region, by its partner event source's name. */
  public readonly partnerBuses: ReadonlyMap<string, events.IEventBus>;

  constructor(scope: Construct, id: string, props: EventRelaySourcesProps) {
    super(scope, id);
    const buses = new Map<string, events.IEventBus>();
    // Duplicate sources and channels were refused when the configuration was read.
    for (const { relay, name } of regionRelays(props.config, props.region)) {
      buses.set(relay.eventSourceName, new events.EventBus(this, `Relay-${name}`, { eventSourceName: relay.eventSourceName }));
    }
    this.partnerBuses = buses;
  }
}
