import { randomUUID } from 'node:crypto';
import { type AwsJsonServer, AwsServiceError, startAwsJsonServer } from './aws-json-server';

/**
 * Secrets Manager stand-in: `GetSecretValue` and `PutSecretValue` by name or ARN, as Powertools
 * parameters calls them. Values live in memory and are never logged.
 */
export async function startSecretsManager(options: {
  readonly region: string;
  readonly secrets: Readonly<Record<string, unknown>>;
  readonly port?: number;
}): Promise<AwsJsonServer & { put(name: string, value: unknown): void; arnOf(secretId: string): string }> {
  const store = new Map<string, { arn: string; value: string; versionId: string; createdDate: number }>();
  const put = (name: string, value: unknown) => {
    const existing = store.get(name);
    store.set(name, {
      arn: existing?.arn ?? `arn:aws:secretsmanager:${options.region}:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      versionId: randomUUID(),
      createdDate: Date.now() / 1000,
    });
  };
  for (const [name, value] of Object.entries(options.secrets)) put(name, value);
  // A secret by name or by ARN, as every Secrets Manager operation (and IAM) identifies it.
  const lookup = (id: unknown) => [...store.entries()].find(([name, s]) => name === id || s.arn === id);
  const find = (id: unknown) => {
    const entry = lookup(id);
    if (entry === undefined) throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return entry;
  };
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    port: options.port,
    operations: {
      GetSecretValue: ({ SecretId }) => {
        const [name, s] = find(SecretId);
        return { ARN: s.arn, Name: name, SecretString: s.value, VersionId: s.versionId, VersionStages: ['AWSCURRENT'], CreatedDate: s.createdDate };
      },
      // Metadata only, as `npm run smoke` checks a secret exists without reading its value.
      DescribeSecret: ({ SecretId }) => {
        const [name, s] = find(SecretId);
        return { ARN: s.arn, Name: name, CreatedDate: s.createdDate, VersionIdsToStages: { [s.versionId]: ['AWSCURRENT'] } };
      },
      PutSecretValue: ({ SecretId, SecretString }) => {
        const [name] = find(SecretId);
        put(name, String(SecretString));
        const s = store.get(name)!;
        return { ARN: s.arn, Name: name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
      },
    },
  });
  // IAM authorizes against the full ARN (name, dash, six random characters), whichever form SecretId takes.
  const arnOf = (secretId: string) =>
    lookup(secretId)?.[1].arn ?? (secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${options.region}:000000000000:secret:${secretId}`);
  return { ...server, put, arnOf };
}
