import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DeploymentConfig, type DeploymentConfigInput, parseDeploymentConfig } from '../../canonical/deployment-config';

/** The example deployment configuration shipped in bin/, as JSON (before defaults). */
export function exampleConfigInput(): DeploymentConfigInput {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'bin', 'deployment.example.json'), 'utf8')) as DeploymentConfigInput;
}

/** The example deployment configuration, validated. */
export function exampleConfig(): DeploymentConfig {
  return parseDeploymentConfig(exampleConfigInput());
}
