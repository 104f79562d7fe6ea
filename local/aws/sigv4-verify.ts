import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * API Gateway's AWS_IAM check, for the local ops API: the request's Signature Version 4 recomputed
 * with the caller's secret (the same signer the AWS SDK uses) and compared, with API Gateway's 403
 * answers for a request that is unsigned, signed by an unknown key, signed wrongly or too long ago.
 * Whether the principal may `execute-api:Invoke` is not evaluated: local operators may.
 */

/** A principal that may sign requests locally. */
export interface LocalSigner {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** What API Gateway puts in `requestContext.identity.userArn`. */
  readonly userArn: string;
}

/** The request as received. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query as sent (`/local/ops/exceptions?workflow=x`). */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type Verdict =
  | { readonly ok: true; readonly signer: LocalSigner }
  | { readonly ok: false; readonly status: 403; readonly message: string; readonly messageKey: 'message' | 'Message' };

const MAX_SKEW_MS = 5 * 60_000;

const refuse = (message: string, messageKey: 'message' | 'Message' = 'message'): Verdict => ({ ok: false, status: 403, message, messageKey });

/** Checks a request's SigV4 signature for `service` in `region` against the known signers. */
export async function verifySigV4(
  request: SignedRequest,
  signers: readonly LocalSigner[],
  region: string,
  service = 'execute-api',
  now = Date.now(),
): Promise<Verdict> {
  const authorization = request.headers.authorization;
  if (!authorization) return refuse('Missing Authentication Token');
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!parsed)
    return refuse(`Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(' ')[0]}`);
  const [, accessKeyId, , scopeRegion, scopeService, signedHeaderList, signature] = parsed;
  const signer = signers.find((s) => s.accessKeyId === accessKeyId);
  if (!signer) return refuse('The security token included in the request is invalid.');
  const amzDate = request.headers['x-amz-date'];
  const signedAt = amzDate ? Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) : Number.NaN;
  if (Number.isNaN(signedAt)) return refuse("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) return refuse('Signature expired: the request was signed more than 5 minutes from now.', 'message');
  if (scopeRegion !== region || scopeService !== service) return refuse(`Credential should be scoped to a valid region and service ${service} in ${region}.`);

  const url = new URL(request.url, 'http://local');
  const names = signedHeaderList!.split(';');
  const headers = Object.fromEntries(names.filter((n) => request.headers[n] !== undefined).map((n) => [n, request.headers[n]!]));
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const seen = query[k];
    query[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  const [hostname, port] = (request.headers.host ?? '').split(':');
  const expected = await new SignatureV4({
    credentials: { accessKeyId: signer.accessKeyId, secretAccessKey: signer.secretAccessKey },
    region,
    service,
    sha256: Sha256,
  }).sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: hostname!,
      ...(port ? { port: Number(port) } : {}),
      path: url.pathname,
      query,
      headers,
      body: request.body.toString('utf8'),
    },
    { signingDate: new Date(signedAt), signableHeaders: new Set(names), unsignableHeaders: new Set() },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? expected.headers.Authorization))?.[1];
  if (expectedSignature !== signature)
    return refuse(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  return { ok: true, signer };
}
