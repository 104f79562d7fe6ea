import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { EventRelayConfig } from '../canonical/deployment-config';

/** Properties of {@link EventRelaySources}. */
export interface EventRelaySourcesProps {
  /** The Salesforce Event Relay partner event sources this region receives; may be empty. */
  readonly relays: readonly EventRelayConfig[];
}

/**
 * Associates Salesforce Event Relay partner event sources with this account: in EventBridge a partner
 * source is accepted by creating an event bus with the source's name. The rules that turn relayed
 * change events into canonical events are added by the Salesforce intake, per instance.
 */
export class EventRelaySources extends Construct {
  /** The partner event bus of each relayed Salesforce or Certinia instance, by instance id. */
  public readonly partnerBuses: ReadonlyMap<string, events.IEventBus>;

  constructor(scope: Construct, id: string, props: EventRelaySourcesProps) {
    super(scope, id);
    const buses = new Map<string, events.IEventBus>();
    for (const relay of props.relays) {
      if (buses.has(relay.instance)) throw new Error(`Two event relays are configured for ${relay.instance} in one region`);
      buses.set(relay.instance, new events.EventBus(this, `Relay-${relay.instance}`, { eventSourceName: relay.eventSourceName }));
    }
    this.partnerBuses = buses;
  }
}
