import { SQSClient } from '@aws-sdk/client-sqs';

let client: SQSClient | undefined;
/** SQS client, created once per container. */
export function sqs(): SQSClient {
  client ??= new SQSClient({});
  return client;
}
