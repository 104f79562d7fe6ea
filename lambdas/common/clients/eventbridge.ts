import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

let client: EventBridgeClient | undefined;
/** EventBridge client, created once per container. */
export function events(): EventBridgeClient {
  client ??= new EventBridgeClient({});
  return client;
}
