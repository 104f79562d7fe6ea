import { z } from 'zod';
import { DeploymentConfig } from './deployment-config';
import { EVENT_CATALOGUE, EventEnvelope } from './events/catalogue';

/**
 * JSON Schemas for non-TypeScript consumers: one per event type and version, the envelope with the
 * payload of that type inlined. Generated from the zod schemas, so they cannot drift; a test fails
 * when the committed files differ from what this produces.
 */
export function eventJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [type, versions] of Object.entries(EVENT_CATALOGUE)) {
    for (const [version, payload] of Object.entries(versions as Record<string, z.ZodType>)) {
      const schema = EventEnvelope.extend({ type: z.literal(type), schemaVersion: z.literal(Number(version)), payload });
      const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
      const document = { $id: `https://ps-sync.dev/schemas/${type}.v${version}.json`, title: `${type} v${version}`, ...json };
      files.set(`${type}.v${version}.schema.json`, JSON.stringify(document, null, 2) + '\n');
    }
  }
  return files;
}

/** Where the deployment configuration's JSON Schema is checked in, relative to the repository root. */
export const DEPLOYMENT_CONFIG_SCHEMA_FILE = 'canonical/deployment-config.schema.json';

/**
 * The JSON Schema of the deployment configuration file, for editors (`"$schema"` in the file). Input
 * mode: a key with a default may be left out of the file. The checks across the file (unknown
 * instances, conflicting switches) are zod refinements a JSON Schema cannot express; synth runs them.
 */
export function deploymentConfigJsonSchema(): string {
  const json = z.toJSONSchema(DeploymentConfig, { target: 'draft-2020-12', io: 'input' });
  const document = {
    $id: 'https://ps-sync.dev/schemas/deployment-config.json',
    title: 'ps-sync deployment configuration',
    description: 'Regions, vendor instances, legal entities, event relays and flow switches of one deployment (docs/configuration.md).',
    ...json,
  };
  return JSON.stringify(document, null, 2) + '\n';
}
