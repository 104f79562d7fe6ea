import { SFNClient } from '@aws-sdk/client-sfn';

let client: SFNClient | undefined;
/** Step Functions client, created once per container. */
export function stepFunctions(): SFNClient {
  client ??= new SFNClient({});
  return client;
}
