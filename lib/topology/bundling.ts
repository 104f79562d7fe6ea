import type { DeploymentConfig } from '../../canonical/deployment-config';

/**
 * How every function is bundled, in AWS (NodejsFunction) and in the local stack (esbuild directly):
 * one definition, so the local stack runs the bundle the deployed function runs. The deployment
 * configuration is compiled into the bundle (it holds names, never secrets), so a handler reads the
 * same configuration the stack was synthesized from, with no extra call at cold start.
 */
export const LAMBDA_NODE_MAJOR = 24;

/** esbuild's target: the Node the functions run on in Lambda (docs/adr on the Node versions). */
export const BUNDLE_TARGET = `node${LAMBDA_NODE_MAJOR}`;

/** The expression handlers read the configuration from; esbuild replaces it at bundle time. */
export const DEPLOYMENT_CONFIG_DEFINE = 'process.env.DEPLOYMENT_CONFIG_JSON';

/** esbuild `define` entries for a deployment. */
export function bundleDefines(config: DeploymentConfig): Record<string, string> {
  return { [DEPLOYMENT_CONFIG_DEFINE]: JSON.stringify(JSON.stringify(config)) };
}

/** The runtime environment every function gets besides what its uses add. */
export function baseEnvironment(workflow: string, config: DeploymentConfig, region: string): Record<string, string> {
  const regionConfig = config.regions.find((r) => r.region === region);
  return {
    POWERTOOLS_SERVICE_NAME: workflow,
    POWERTOOLS_METRICS_NAMESPACE: `${config.name}-${config.stage}`,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    IDEMPOTENCY_TTL_SECONDS: String(regionConfig?.idempotencyTtlSeconds ?? 7 * 24 * 3600),
    WEBHOOK_MAX_BODY_BYTES: String(regionConfig?.webhooks.maxBodyBytes ?? 1024 * 1024),
    NODE_OPTIONS: '--enable-source-maps',
    // Read by the logger's masking formatter (lambdas/common/log-masking.ts).
    ...(config.operations.logMasking.extraFields.length > 0 ? { LOG_MASK_FIELDS: config.operations.logMasking.extraFields.join(',') } : {}),
    ...(config.operations.logMasking.maskAmounts ? { LOG_MASK_AMOUNTS: 'true' } : {}),
    // Powertools reads it once, at cold start; it takes `true` or `false` only (another value fails the function).
    ...(config.operations.logEvent ? { POWERTOOLS_LOGGER_LOG_EVENT: 'true' } : {}),
  };
}
