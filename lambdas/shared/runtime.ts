import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type DeploymentConfig, parseDeploymentConfig } from '../../canonical/deployment-config';

/**
 * What every handler shares, created once per container at module scope: clients, the logger, the
 * metrics, and the deployment configuration compiled into the bundle. Endpoints come from the SDK's
 * own resolution (`AWS_ENDPOINT_URL_<SERVICE>` locally), so handlers have one code path.
 */

/** The logger; Powertools reads the service name and level from the function's environment. */
export const logger = new Logger();
/** Business metrics, flushed by each handler. */
export const metrics = new Metrics();

let documentsClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;
let eventsClient: EventBridgeClient | undefined;
let sfnClient: SFNClient | undefined;

/** DynamoDB document client; numbers stay exact (wrapNumbers) because versions exceed 2^53. */
export function documents(): DynamoDBDocumentClient {
  documentsClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { unmarshallOptions: { wrapNumbers: true } });
  return documentsClient;
}
/** SQS client. */
export function sqs(): SQSClient {
  sqsClient ??= new SQSClient({});
  return sqsClient;
}
/** EventBridge client. */
export function events(): EventBridgeClient {
  eventsClient ??= new EventBridgeClient({});
  return eventsClient;
}
/** Step Functions client. */
export function stepFunctions(): SFNClient {
  sfnClient ??= new SFNClient({});
  return sfnClient;
}

let config: DeploymentConfig | undefined;
/** The deployment configuration the bundle was built with. */
export function deploymentConfig(): DeploymentConfig {
  if (config === undefined) {
    const raw = process.env.DEPLOYMENT_CONFIG_JSON;
    if (raw === undefined) throw new Error('The bundle carries no deployment configuration (DEPLOYMENT_CONFIG_JSON was not defined at bundle time)');
    config = parseDeploymentConfig(JSON.parse(raw));
  }
  return config;
}

/** A required environment variable, set by the stack from the function's declared uses. */
export function requiredEnvironment(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set; is the use declared in lib/topology?`);
  return value;
}

/**
 * A vendor instance's credentials from Secrets Manager, cached for five minutes so a rotation is
 * picked up without a deploy. `forceFetch` is for the retry after a 401.
 */
export async function vendorSecret(instanceId: string, options: { forceFetch?: boolean } = {}): Promise<Record<string, unknown>> {
  const instance = deploymentConfig().vendorInstances.find((v) => v.id === instanceId);
  if (instance === undefined) throw new Error(`Vendor instance ${instanceId} is not configured`);
  const value = await getSecret(instance.secretName, { maxAge: 300, transform: 'json', forceFetch: options.forceFetch ?? false });
  if (value === undefined || value === null || typeof value !== 'object') throw new Error(`Secret ${instance.secretName} of ${instanceId} is empty or not JSON`);
  return value as Record<string, unknown>;
}
