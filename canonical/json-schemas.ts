import { z } from 'zod';
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
