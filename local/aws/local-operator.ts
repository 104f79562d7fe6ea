import type { LocalSigner } from './sigv4-verify';

/** The local operator, whose signed requests the local ops API accepts (`npm run ops -- --local`); local only, never real. */
export const LOCAL_OPERATOR: LocalSigner = {
  accessKeyId: 'AKIALOCALOPERATOR000',
  secretAccessKey: 'local-operator-secret-access-key',
  userArn: 'arn:aws:iam::000000000000:user/local-operator',
};
