import { clientAssertion, TOKEN_PATH } from '../../../lambdas/netsuite/oauth2-m2m';
import { LOCAL_CREDENTIALS } from '../../local-environment';

// Prints a client assertion for the local OAuth 2.0 NetSuite account (acme-ca), signed with its
// local-only key exactly as the adapter signs it, to exchange for an access token by hand.
// Usage: npx tsx local/sandboxes/netsuite/local-assertion.ts http://127.0.0.1:<netsuite-ca>
const [base] = process.argv.slice(2);
if (!base) {
  console.error('usage: local-assertion.ts <netsuite-ca sandbox URL>');
  process.exit(2);
}
const { accountId, clientId, certificateId, privateKey, algorithm } = LOCAL_CREDENTIALS.netsuiteCa;
clientAssertion({ accountId, clientId, certificateId, privateKey, algorithm }, `${base}${TOKEN_PATH}`).then((jwt) => console.log(jwt));
