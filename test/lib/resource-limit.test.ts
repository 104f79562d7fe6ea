import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

// CloudFormation refuses a stack of more than 500 resources at deploy time, long after synth passed:
// the example's and the local configuration's regional stacks must stay within it.
const local = parseDeploymentConfig(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')));

describe("CloudFormation's 500 resources per stack", () => {
  it.each([
    ['the example configuration', exampleConfig()],
    ['the local configuration', local],
  ] as const)('holds for every regional stack of %s', (_name, config) => {
    for (const [region, template] of synthesizeDeployment(config).templates) {
      const count = Object.keys((template.toJSON() as { Resources: object }).Resources).length;
      expect({ region, withinLimit: count <= 500 }).toEqual({ region, withinLimit: true });
    }
  });
});
