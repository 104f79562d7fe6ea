import { S3Client } from '@aws-sdk/client-s3';

let client: S3Client | undefined;
/** S3 client, created once per container (`AWS_ENDPOINT_URL_S3` points it at the local stand-in). */
export function s3(): S3Client {
  client ??= new S3Client({});
  return client;
}
