import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CanonicalEventError, EVENT_TYPES, parseCanonicalEvent } from '../../canonical/events/catalogue';
import { eventJsonSchemas } from '../../canonical/json-schemas';

const canonical = join(__dirname, '..', '..', 'canonical');
const versionFolders = readdirSync(join(canonical, 'fixtures')).filter((f) => /^v\d+$/.test(f));
const fixtures = versionFolders.flatMap((version) =>
  readdirSync(join(canonical, 'fixtures', version)).map((file) => ({
    version,
    file,
    event: JSON.parse(readFileSync(join(canonical, 'fixtures', version, file), 'utf8')) as Record<string, unknown>,
  })),
);
const invalid = readdirSync(join(canonical, 'fixtures', 'invalid')).map((file) => ({
  file,
  ...(JSON.parse(readFileSync(join(canonical, 'fixtures', 'invalid', file), 'utf8')) as { expectedPath: string; event: Record<string, unknown> }),
}));

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const schemaFiles = readdirSync(join(canonical, 'json-schema'));
const validators = new Map(schemaFiles.map((f) => [f, ajv.compile(JSON.parse(readFileSync(join(canonical, 'json-schema', f), 'utf8')))]));

describe('canonical event fixtures', () => {
  it('has a fixture for every event type in v1', () => {
    expect(
      fixtures
        .filter((f) => f.version === 'v1')
        .map((f) => f.event.type)
        .sort(),
    ).toEqual([...EVENT_TYPES].sort());
  });

  it.each(fixtures.map((f) => [`${f.version}/${f.file}`, f.event] as const))('%s passes the zod schema of its type and version', (_name, event) => {
    expect(parseCanonicalEvent(event).type).toBe(event.type);
  });

  it.each(fixtures.map((f) => [`${f.version}/${f.file}`, f.event] as const))('%s passes the generated JSON Schema too', (_name, event) => {
    const validate = validators.get(`${String(event.type)}.v${String(event.schemaVersion)}.schema.json`);
    expect(validate, 'a JSON Schema exists for the type and version').toBeDefined();
    expect(validate!(event), JSON.stringify(validate!.errors)).toBe(true);
  });

  it.each(invalid.map((f) => [f.file, f] as const))('refuses %s, naming the offending path', (_name, fixture) => {
    let thrown: unknown;
    try {
      parseCanonicalEvent(fixture.event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CanonicalEventError);
    expect((thrown as CanonicalEventError).problems.join('\n')).toContain(`${fixture.expectedPath}:`);
    // No generated JSON Schema accepts it either.
    expect([...validators.values()].some((validate) => validate(fixture.event))).toBe(false);
  });
});

describe('generated JSON Schemas', () => {
  it('are up to date with the zod schemas (run npm run schemas after a schema change)', () => {
    const generated = eventJsonSchemas();

    expect([...generated.keys()].sort()).toEqual([...schemaFiles].sort());
    for (const [file, text] of generated) expect(readFileSync(join(canonical, 'json-schema', file), 'utf8'), file).toBe(text);
  });
});
