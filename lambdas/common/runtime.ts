import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type DeploymentConfig, parseDeploymentConfig } from '../../canonical/deployment-config';
import { MaskingLogFormatter, maskingOptionsFromEnv } from './log-masking';

/**
 * What every handler shares, created once per container at module scope: the logger, the metrics and
 * the deployment configuration compiled into the bundle. AWS clients live one per file in
 * `clients/`, so a function's bundle holds only the clients it uses (a smaller, faster cold start).
 * Endpoints come from the SDK's own resolution (`AWS_ENDPOINT_URL_<SERVICE>` locally).
 */

/**
 * The logger; Powertools reads the service name and level from the function's environment. Every line
 * masks personal data (log-masking.ts), with the deployment's further fields and amounts if it sets them.
 */
export const logger = new Logger({ logFormatter: new MaskingLogFormatter(maskingOptionsFromEnv()) });
/** Business metrics, flushed by each handler. */
export const metrics = new Metrics();

/** Flushes the invocation's metrics, if it recorded any: an invocation without metrics writes nothing, not a warning. */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
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
