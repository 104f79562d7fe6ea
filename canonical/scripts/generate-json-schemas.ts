import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYMENT_CONFIG_SCHEMA_FILE, deploymentConfigJsonSchema, eventJsonSchemas } from '../json-schemas';

// Regenerates canonical/json-schema/ and the deployment configuration's schema from the zod schemas (npm run schemas).
const folder = join(__dirname, '..', 'json-schema');
for (const file of readdirSync(folder).filter((f) => f.endsWith('.schema.json'))) rmSync(join(folder, file));
for (const [file, text] of eventJsonSchemas()) writeFileSync(join(folder, file), text);
console.log(`wrote ${eventJsonSchemas().size} schemas to ${folder}`);
writeFileSync(join(__dirname, '..', '..', DEPLOYMENT_CONFIG_SCHEMA_FILE), deploymentConfigJsonSchema());
console.log(`wrote ${DEPLOYMENT_CONFIG_SCHEMA_FILE}`);
