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
 * It also reads `POWERTOOLS_LOGGER_LOG_EVENT`: when `true`, every handler's wrapper (queue consumer, task,
 * API) logs the invocation event through it ({@link logInvocationEvent}); off by default.
 */
export const logger = new Logger({ logFormatter: new MaskingLogFormatter(maskingOptionsFromEnv()) });

/**
 * Powertools' event logging (`logEvent`): when the function's environment sets
 * `POWERTOOLS_LOGGER_LOG_EVENT=true`, the invocation event is logged at INFO as `Lambda invocation event`,
 * through {@link logger} and so through its masking formatter like every other line (a record's body,
 * JSON in a string, is masked inside). Each kind of handler wrapper calls it once, first thing; handlers
 * do not. Off by default: set per deployment (`operations.logEvent`), or per run of the local stack (`logEvent`).
 */
export function logInvocationEvent(event: unknown): void {
  logger.logEventIfEnabled(event);
}
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
