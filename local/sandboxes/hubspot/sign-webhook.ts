import { readFileSync } from 'node:fs';
import { signHubSpotV3 } from './hubspot-sandbox';

// Prints a curl command that posts a body file to a webhook URL, signed as HubSpot signs (v3).
// Usage: npx tsx local/sandboxes/hubspot/sign-webhook.ts <url> <body.json> [client secret]
const [url, file, secret = 'local-hubspot-client-secret'] = process.argv.slice(2);
if (!url || !file) {
  console.error('usage: sign-webhook.ts <url> <body.json> [client secret]');
  process.exit(2);
}
const body = readFileSync(file, 'utf8');
const timestamp = String(Date.now());
const signature = signHubSpotV3({ clientSecret: secret, method: 'POST', uri: url, body, timestamp });
console.log(
  `curl -s -X POST '${url}' -H 'content-type: application/json' -H 'X-HubSpot-Request-Timestamp: ${timestamp}' -H 'X-HubSpot-Signature-v3: ${signature}' --data-binary @${file}`,
);
