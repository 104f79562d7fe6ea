import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DeploymentConfig } from '../canonical/deployment-config';
import { regionStackId, SyncRegionStack } from './sync-region-stack';
import type { WorkflowDeclaration } from './topology/declarations';

/**
 * Adds a deployment to a CDK app: one {@link SyncRegionStack} per configured region, with the
 * AwsSolutions checks of cdk-nag applied to all of them, so a finding fails `cdk synth`.
 */
export function addSyncStacks(app: App, config: DeploymentConfig, workflows?: readonly WorkflowDeclaration[]): SyncRegionStack[] {
  const stacks = config.regions.map(
    (regionConfig) =>
      new SyncRegionStack(app, regionStackId(config, regionConfig.region), {
        config,
        regionConfig,
        ...(workflows === undefined ? {} : { workflows }),
        env: { region: regionConfig.region, ...(regionConfig.account === undefined ? {} : { account: regionConfig.account }) },
        description: `${config.name} ${config.stage}: integration core for ${regionConfig.region}`,
      }),
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}

/**
 * The context `cdk synth` gives the app from cdk.json (feature flags, validation rules). `new App()`
 * does not read cdk.json itself: tests and the local stack pass this, so they synthesize the templates
 * `cdk synth` would.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
