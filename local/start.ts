import { rmSync, writeFileSync } from 'node:fs';
import { startLocalEnvironment } from './local-environment';

// Where the hand-driven examples of docs/local-stack.md find the ports (`. ./.local-stack.env`).
const ENV_FILE = '.local-stack.env';

// Lambda runs Node 24; the SDK's warning about this machine's Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `npm start`: the whole stack on loopback, until Ctrl-C.
async function main(): Promise<void> {
  const env = await startLocalEnvironment({ onError: (error) => console.error('local stand-in error:', error) });
  const webhook = `${env.stack.apiUrl}webhooks/hubspot/hubspot-main`;
  writeFileSync(
    ENV_FILE,
    Object.entries(env.shellVariables)
      .map(([name, value]) => `export ${name}='${value}'\n`)
      .join(''),
  );
  console.log(`
ps-sync local stack is running (region ${env.config.regions[0]!.region}, stage ${env.config.stage}).

  Webhook API      ${env.stack.apiUrl}   (POST webhooks/hubspot/hubspot-main, POST webhooks/business-central/business-central-uk, GET health)
                   vendors call and sign ${env.stack.webhookBaseUrl}, routed here as DNS would route it
  IAM              every AWS call of a function is checked against its role in the synthesized template
  HubSpot sandbox  ${env.hubspot.url}   (token pat-local-0000; webhooks go to ${webhook})
  Salesforce org   ${env.salesforce.url}   (changes relayed to the partner bus ${[...env.stack.partnerBuses.values()].join(', ')})
  Kantata sandbox  ${env.kantata.url}
  NetSuite acme-us ${env.netsuite.us.url}   (account 1234567_SB1, token-based auth)
  NetSuite acme-ca ${env.netsuite.ca.url}   (account 7654321_SB2, OAuth 2)
  Business Central ${env.businessCentral.apiRoot}   (acme-uk's ERP; Entra tokens at ${env.businessCentral.tokenUrl}; our webhook subscribed at start)
  Certinia org     ${env.certinia.url}   (timecards, expenses and milestones relayed to the partner bus)
  DynamoDB ${env.stack.endpoints.dynamodb}  SQS ${env.stack.endpoints.sqs}  EventBridge ${env.stack.endpoints.eventbridge}  Step Functions ${env.stack.endpoints.sfn}

In another shell, \`. ./${ENV_FILE}\` sets $API, $HUBSPOT, $SALESFORCE, $KANTATA, $NETSUITE_US, ... for the
examples in README.md and docs/local-stack.md. Win a deal in the HubSpot sandbox (as a person in the HubSpot UI would):
  deal=$(curl -s -X POST $HUBSPOT/__sandbox/deals -H 'content-type: application/json' -d @local/examples/deal.json | jq -r .id)
  curl -s -X POST $HUBSPOT/__sandbox/deals/$deal/set -H 'content-type: application/json' -d '{"dealstage":"closedwon"}'
Ctrl-C stops everything.
`);
  const stop = async () => {
    rmSync(ENV_FILE, { force: true });
    await env.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
