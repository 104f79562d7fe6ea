import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_CONFIG_SCHEMA_FILE, deploymentConfigJsonSchema } from '../../canonical/json-schemas';

const root = join(__dirname, '..', '..');
const checkedIn = readFileSync(join(root, DEPLOYMENT_CONFIG_SCHEMA_FILE), 'utf8');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(checkedIn) as object);
const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

describe('the deployment configuration JSON Schema', () => {
  it('is up to date with the zod schema (run npm run schemas after a change)', () => {
    expect(checkedIn).toBe(deploymentConfigJsonSchema());
  });

  it.each(['bin/deployment.example.json', 'local/deployment.local.json'])('validates %s, which names it in $schema', (file) => {
    const config = read(file);

    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(config.$schema).toBe('../canonical/deployment-config.schema.json');
  });

  it('refuses an unknown key and a malformed value, as an editor would show', () => {
    const config = read('bin/deployment.example.json');

    expect(validate({ ...config, regoins: [] })).toBe(false);
    expect(validate({ ...config, stage: 'Prod' })).toBe(false);
  });

  it('lets keys with defaults be left out, as the file may', () => {
    const { flowSwitches: _f, eventRelays: _e, ...config } = read('local/deployment.local.json');

    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it('pins the example to a placeholder account no credentials match, so cdk deploy refuses it', () => {
    const regions = read('bin/deployment.example.json').regions as { account?: string }[];

    expect(regions.map((r) => r.account)).toEqual(regions.map(() => '000000000000'));
  });
});
