#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseDeploymentConfig } from '../canonical/deployment-config';
import { addSyncStacks } from '../lib/sync-app';

// The configuration file is named by context (cdk.json, or `-c deploymentConfig=path`), never by
// environment, so a synth is reproducible from the repository alone.
const app = new App();
const configPath: unknown = app.node.tryGetContext('deploymentConfig');
if (typeof configPath !== 'string') {
  throw new Error('No deployment configuration: set context deploymentConfig (cdk.json, or -c deploymentConfig=path)');
}
addSyncStacks(app, parseDeploymentConfig(JSON.parse(readFileSync(resolve(configPath), 'utf8'))));
app.synth();
