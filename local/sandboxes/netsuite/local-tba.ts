import { tokenBasedAuthorization } from '../../../lambdas/netsuite/oauth1';
import { LOCAL_CREDENTIALS } from '../../local-environment';

// Prints the Authorization header of one request to the local token-based-auth NetSuite account
// (acme-us), signed with its local-only token exactly as the adapter signs it, to read it by hand.
// Usage: npx tsx local/sandboxes/netsuite/local-tba.ts GET http://127.0.0.1:<netsuite-us>/services/rest/record/v1/customer/<id>
const [method, url] = process.argv.slice(2);
if (!method || !url) {
  console.error('usage: local-tba.ts <method> <netsuite-us sandbox URL of the request>');
  process.exit(2);
}
console.log(tokenBasedAuthorization(LOCAL_CREDENTIALS.netsuiteUs, method, url));
