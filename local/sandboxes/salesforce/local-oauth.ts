import { generateKeyPairSync } from 'node:crypto';
import type { SalesforceOAuthOptions } from './oauth-token-endpoint';

/**
 * The local stack's Salesforce-platform credentials, local only and never real: the Salesforce org
 * takes the client credentials flow, the Certinia org the JWT bearer flow, so both flows run on
 * `npm start`. The Certinia app's key pair is made per process (its public key is the uploaded
 * "certificate"), so no private key lives in the repository.
 */
const certiniaKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** The Salesforce org: a connected app enabled for client credentials, running as the integration user. */
export const LOCAL_SALESFORCE_OAUTH = {
  secret: { flow: 'client-credentials', clientId: '3MVG9LOCAL.salesforce-consumer-key', clientSecret: 'local-salesforce-consumer-secret' },
  org: {
    apps: [{ clientId: '3MVG9LOCAL.salesforce-consumer-key', clientSecret: 'local-salesforce-consumer-secret', runAs: 'integration@ps-sync.local' }],
    users: ['integration@ps-sync.local', 'alice@ps-sync.local'],
  } satisfies SalesforceOAuthOptions,
} as const;

/** The Certinia org: a connected app with an uploaded certificate, the integration user pre-authorized. */
export const LOCAL_CERTINIA_OAUTH = {
  secret: { flow: 'jwt-bearer', clientId: '3MVG9LOCAL.certinia-consumer-key', username: 'integration@certinia.local', privateKey: certiniaKey.privateKey },
  org: {
    apps: [{ clientId: '3MVG9LOCAL.certinia-consumer-key', certificate: certiniaKey.publicKey, preAuthorized: ['integration@certinia.local'] }],
    users: ['integration@certinia.local'],
  } satisfies SalesforceOAuthOptions,
} as const;
