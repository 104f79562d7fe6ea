import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signHubSpotV3 } from './hubspot-sandbox';

// Prints a curl command that posts a body file to a webhook URL, signed as HubSpot signs (v3). HubSpot
// signs the public URL it calls; locally that URL is routed to the local API, so sign as the public URL
// (`npm start` prints it) and post to the local one.
// Usage: npx tsx local/sandboxes/hubspot/sign-webhook.ts <url> <body.json> [--signed-as <public url>] [--secret <client secret>]
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'signed-as': { type: 'string' }, secret: { type: 'string', default: 'local-hubspot-client-secret' } },
});
const [url, file] = positionals;
if (!url || !file) {
  console.error('usage: sign-webhook.ts <url> <body.json> [--signed-as <public url>] [--secret <client secret>]');
  process.exit(2);
}
const body = readFileSync(file, 'utf8');
const timestamp = String(Date.now());
const signature = signHubSpotV3({ clientSecret: values.secret, method: 'POST', uri: values['signed-as'] ?? url, body, timestamp });
console.log(
  `curl -s -X POST '${url}' -H 'content-type: application/json' -H 'X-HubSpot-Request-Timestamp: ${timestamp}' -H 'X-HubSpot-Signature-v3: ${signature}' --data-binary @${file}`,
);
