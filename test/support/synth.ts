import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentConfig } from '../../canonical/deployment-config';
import { addSyncStacks, cdkJsonContext } from '../../lib/sync-app';
import type { SyncRegionStack } from '../../lib/sync-region-stack';

/** An app for tests: no bundling (one bundled synth runs in CI), cdk.json's context and cdk-nag as in `cdk synth`. */
export function synthesizeDeployment(config: DeploymentConfig): { app: App; stacks: SyncRegionStack[]; templates: Map<string, Template> } {
  const app = new App({ context: cdkJsonContext(), postCliContext: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addSyncStacks(app, config);
  const templates = new Map(stacks.map((s) => [s.region, Template.fromStack(s)] as const));
  return { app, stacks, templates };
}
