import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';
import type { IamRequest } from './iam-evaluator';

/**
 * S3 stand-in: the part of S3's REST protocol the payload archive and its tests call, written by hand
 * because no maintained local S3 on npm has Object Lock (docs/adr/0021-hand-written-s3-stand-in.md).
 * Path-style requests (`http://127.0.0.1:PORT/<bucket>/<key>`, which the SDK sends to an IP endpoint),
 * and virtual-hosted ones (`<bucket>.localhost`). Operations: PutObject (with `If-None-Match: *` and
 * explicit lock headers), GetObject, HeadObject, DeleteObject, ListObjectsV2, ListObjectVersions,
 * GetObjectRetention and GetObjectLockConfiguration. Buckets are versioned; with Object Lock each new
 * version takes the bucket's default retention, and deleting a locked version is refused with
 * `AccessDenied`, as S3 refuses it: in GOVERNANCE mode unless the request carries
 * `x-amz-bypass-governance-retention: true` (whether the caller may send it is the IAM gate's to decide,
 * `s3:BypassGovernanceRetention`), in COMPLIANCE mode always. A delete without a version id adds a
 * delete marker and removes nothing. Objects live in memory.
 */

/** Object Lock retention modes. */
export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';

/** A bucket the stand-in serves. */
export interface LocalBucket {
  readonly name: string;
  /** The default retention of new versions; Object Lock is enabled when set. */
  readonly objectLock?: { readonly mode: RetentionMode; readonly days: number };
}

/** One version of a key: an object, or a delete marker. */
export type LocalObjectVersion =
  | {
      readonly deleteMarker: false;
      readonly key: string;
      readonly versionId: string;
      readonly body: Buffer;
      readonly contentType: string;
      /** User metadata, without the `x-amz-meta-` prefix. */
      readonly metadata: Readonly<Record<string, string>>;
      readonly etag: string;
      readonly lastModified: Date;
      readonly retention?: { readonly mode: RetentionMode; readonly retainUntil: Date };
    }
  | { readonly deleteMarker: true; readonly key: string; readonly versionId: string; readonly lastModified: Date };

/** A running S3 stand-in. */
export interface LocalS3 {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_S3` or a client's `endpoint`. */
  readonly url: string;
  /** Every version of a bucket's keys (of one key when given), oldest first: what tests read archived objects with. */
  versions(bucket: string, key?: string): readonly LocalObjectVersion[];
  /** The current version of a key, unless it is missing or a delete marker. */
  object(bucket: string, key: string): Extract<LocalObjectVersion, { deleteMarker: false }> | undefined;
  close(): Promise<void>;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** `<Name>value</Name>` for each entry, escaped. */
function elements(fields: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => `<${name}>${xmlEscape(String(value))}</${name}>`)
    .join('');
}

/** Answers an S3 error as S3 does: XML with Code and Message (no body to a HEAD). */
export function sendS3Error(
  res: ServerResponse,
  method: string | undefined,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...extra });
  if (method === 'HEAD') res.end();
  else res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${elements({ Code: code, Message: message, RequestId: requestId })}</Error>`);
}

/** The bucket, key and query of a request, path-style or virtual-hosted. */
export function parseS3Request(url: string, host: string | undefined): { bucket: string; key: string; query: URLSearchParams } {
  const parsed = new URL(url, 'http://s3.local');
  const hostname = String(host ?? '').replace(/:\d+$/, '');
  const segments = parsed.pathname.slice(1);
  // Virtual-hosted style: `<bucket>.localhost` (an IP address or a bare name is path style, as the SDK sends it).
  if (isIP(hostname) === 0 && hostname.includes('.')) {
    return { bucket: hostname.slice(0, hostname.indexOf('.')), key: decodeURIComponent(segments), query: parsed.searchParams };
  }
  const slash = segments.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? segments : segments.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(segments.slice(slash + 1));
  return { bucket, key, query: parsed.searchParams };
}

/**
 * The IAM requests an S3 call needs, as S3's authorization reference lists them: the object actions on
 * `arn:aws:s3:::<bucket>/<key>`, the bucket actions on `arn:aws:s3:::<bucket>`, and
 * `s3:BypassGovernanceRetention` when a request asks to bypass a GOVERNANCE lock.
 */
export function s3IamRequestsOf(method: string, url: string, headers: IncomingHttpHeaders): IamRequest[] {
  const { bucket, key, query } = parseS3Request(url, headers.host);
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const on = (action: string, resource = objectArn) => ({ action: `s3:${action}`, resource });
  const bypass = String(headers['x-amz-bypass-governance-retention'] ?? '').toLowerCase() === 'true' ? [on('BypassGovernanceRetention')] : [];
  const versioned = query.has('versionId');
  if (key === '') {
    if (method === 'GET' && query.has('versions')) return [on('ListBucketVersions', bucketArn)];
    if (method === 'GET' && query.has('object-lock')) return [on('GetBucketObjectLockConfiguration', bucketArn)];
    if (method === 'GET' || method === 'HEAD') return [on('ListBucket', bucketArn)];
    return [on(`${method}Bucket`, bucketArn)];
  }
  switch (method) {
    case 'PUT':
      if (query.has('retention')) return [on('PutObjectRetention'), ...bypass];
      if (query.has('legal-hold')) return [on('PutObjectLegalHold')];
      return [
        on('PutObject'),
        ...(headers['x-amz-object-lock-mode'] !== undefined ? [on('PutObjectRetention')] : []),
        ...(headers['x-amz-object-lock-legal-hold'] !== undefined ? [on('PutObjectLegalHold')] : []),
      ];
    case 'GET':
    case 'HEAD':
      if (query.has('retention')) return [on('GetObjectRetention')];
      if (query.has('legal-hold')) return [on('GetObjectLegalHold')];
      return [on(versioned ? 'GetObjectVersion' : 'GetObject')];
    case 'DELETE':
      return [on(versioned ? 'DeleteObjectVersion' : 'DeleteObject'), ...bypass];
    default:
      return [on(`${method ?? 'UNKNOWN'}Object`)];
  }
}

/** The body of an `aws-chunked` upload: the chunks' data, without their signatures and trailers. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Starts the stand-in on loopback. `now` moves the clock for lock tests. */
export async function startS3(options: { readonly buckets: readonly LocalBucket[]; readonly port?: number; readonly now?: () => Date }): Promise<LocalS3> {
  const now = options.now ?? (() => new Date());
  const buckets = new Map(options.buckets.map((b) => [b.name, { config: b, versions: new Map<string, LocalObjectVersion[]>() }]));
  const newVersionId = () => randomUUID().replace(/-/g, '');
  const current = (versions: readonly LocalObjectVersion[] | undefined) => versions?.[versions.length - 1];

  const objectHeaders = (v: Extract<LocalObjectVersion, { deleteMarker: false }>): Record<string, string> => ({
    'content-type': v.contentType,
    'content-length': String(v.body.length),
    etag: v.etag,
    'last-modified': v.lastModified.toUTCString(),
    'x-amz-version-id': v.versionId,
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-bucket-key-enabled': 'true',
    ...(v.retention ? { 'x-amz-object-lock-mode': v.retention.mode, 'x-amz-object-lock-retain-until-date': v.retention.retainUntil.toISOString() } : {}),
    ...Object.fromEntries(Object.entries(v.metadata).map(([k, value]) => [`x-amz-meta-${k}`, value])),
  });

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    const method = req.method ?? 'GET';
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}) => sendS3Error(res, method, status, code, message, extra);
    const { bucket: bucketName, key, query } = parseS3Request(req.url ?? '/', req.headers.host);
    const bucket = buckets.get(bucketName);
    if (bucket === undefined) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const xml = (body: string) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
    };

    if (key === '') {
      const prefix = query.get('prefix') ?? '';
      const keys = [...bucket.versions.keys()].filter((k) => k.startsWith(prefix)).sort();
      if (method === 'GET' && query.has('object-lock')) {
        const lock = bucket.config.objectLock;
        if (lock === undefined) return fail(404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket');
        return xml(
          `<ObjectLockConfiguration xmlns="${XMLNS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>${elements({ Mode: lock.mode, Days: lock.days })}</DefaultRetention></Rule></ObjectLockConfiguration>`,
        );
      }
      if (method === 'GET' && query.has('versions')) {
        const entries = keys.flatMap((k) => {
          const versions = bucket.versions.get(k)!;
          return [...versions].reverse().map((v, i) => {
            const common = { Key: v.key, VersionId: v.versionId, IsLatest: i === 0, LastModified: v.lastModified.toISOString() };
            return v.deleteMarker
              ? `<DeleteMarker>${elements(common)}</DeleteMarker>`
              : `<Version>${elements({ ...common, ETag: v.etag, Size: v.body.length, StorageClass: 'STANDARD' })}</Version>`;
          });
        });
        return xml(
          `<ListVersionsResult xmlns="${XMLNS}">${elements({ Name: bucketName, Prefix: prefix, MaxKeys: 1000, IsTruncated: false })}${entries.join('')}</ListVersionsResult>`,
        );
      }
      if (method === 'GET') {
        const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), 1000);
        const after = query.get('continuation-token') ?? query.get('start-after') ?? '';
        const live = keys.filter((k) => k > after && !current(bucket.versions.get(k))!.deleteMarker);
        const page = live.slice(0, maxKeys);
        const truncated = live.length > page.length;
        const contents = page.map((k) => {
          const v = current(bucket.versions.get(k)) as Extract<LocalObjectVersion, { deleteMarker: false }>;
          return `<Contents>${elements({ Key: k, LastModified: v.lastModified.toISOString(), ETag: v.etag, Size: v.body.length, StorageClass: 'STANDARD' })}</Contents>`;
        });
        return xml(
          `<ListBucketResult xmlns="${XMLNS}">${elements({
            Name: bucketName,
            Prefix: prefix,
            KeyCount: page.length,
            MaxKeys: maxKeys,
            IsTruncated: truncated,
            NextContinuationToken: truncated ? page[page.length - 1] : undefined,
          })}${contents.join('')}</ListBucketResult>`,
        );
      }
      return fail(501, 'NotImplemented', `The local S3 does not implement ${method} on a bucket`);
    }

    const versions = bucket.versions.get(key) ?? [];
    const versionId = query.get('versionId') ?? undefined;
    const target = versionId === undefined ? current(versions) : versions.find((v) => v.versionId === versionId);

    switch (method) {
      case 'PUT': {
        if (query.has('retention') || query.has('legal-hold') || query.has('tagging') || req.headers['x-amz-copy-source'] !== undefined)
          return fail(501, 'NotImplemented', 'The local S3 implements PutObject alone among object writes');
        const ifNoneMatch = req.headers['if-none-match'];
        if (ifNoneMatch !== undefined && ifNoneMatch !== '*') return fail(501, 'NotImplemented', 'If-None-Match takes only *');
        if (ifNoneMatch === '*' && target !== undefined && !target.deleteMarker)
          return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {});
        const chunked =
          String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
        const body = chunked ? decodeAwsChunked(raw) : raw;
        const md5 = createHash('md5').update(body).digest();
        const contentMd5 = req.headers['content-md5'];
        if (contentMd5 !== undefined && contentMd5 !== md5.toString('base64'))
          return fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
        const crc = req.headers['x-amz-checksum-crc32'];
        if (crc !== undefined) {
          const expected = Buffer.alloc(4);
          expected.writeUInt32BE(crc32(body));
          if (crc !== expected.toString('base64')) return fail(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
        }
        const explicitMode = req.headers['x-amz-object-lock-mode'] as RetentionMode | undefined;
        const explicitUntil = req.headers['x-amz-object-lock-retain-until-date'] as string | undefined;
        const lock = bucket.config.objectLock;
        if ((explicitMode !== undefined || explicitUntil !== undefined) && lock === undefined)
          return fail(400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
        const hasChecksum =
          contentMd5 !== undefined ||
          Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-')) ||
          req.headers['x-amz-sdk-checksum-algorithm'] !== undefined;
        if (lock !== undefined && !hasChecksum)
          return fail(400, 'InvalidRequest', 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters');
        const at = now();
        const retention =
          explicitMode !== undefined && explicitUntil !== undefined
            ? { mode: explicitMode, retainUntil: new Date(explicitUntil) }
            : lock !== undefined
              ? { mode: lock.mode, retainUntil: new Date(at.getTime() + lock.days * 86_400_000) }
              : undefined;
        const metadata = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([h]) => h.startsWith('x-amz-meta-'))
            .map(([h, v]) => [h.slice('x-amz-meta-'.length), String(v)]),
        );
        const version: LocalObjectVersion = {
          deleteMarker: false,
          key,
          versionId: newVersionId(),
          body,
          contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
          metadata,
          etag: `"${md5.toString('hex')}"`,
          lastModified: at,
          ...(retention ? { retention } : {}),
        };
        bucket.versions.set(key, [...versions, version]);
        res.writeHead(200, {
          etag: version.etag,
          'x-amz-version-id': version.versionId,
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-bucket-key-enabled': 'true',
          ...(crc !== undefined ? { 'x-amz-checksum-crc32': String(crc) } : {}),
        });
        res.end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        if (target === undefined) {
          if (versionId !== undefined) return fail(404, 'NoSuchVersion', 'The specified version does not exist.');
          return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        }
        if (target.deleteMarker) {
          const marker = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': target.versionId };
          if (versionId !== undefined) return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', marker);
          return fail(404, 'NoSuchKey', 'The specified key does not exist.', marker);
        }
        if (query.has('retention')) {
          if (target.retention === undefined)
            return fail(404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
          return xml(
            `<Retention xmlns="${XMLNS}">${elements({ Mode: target.retention.mode, RetainUntilDate: target.retention.retainUntil.toISOString() })}</Retention>`,
          );
        }
        res.writeHead(200, objectHeaders(target));
        res.end(method === 'HEAD' ? undefined : target.body);
        return;
      }
      case 'DELETE': {
        if (versionId === undefined) {
          // Versioned: a delete marker becomes the current version; every version stays, locked or not.
          const marker: LocalObjectVersion = { deleteMarker: true, key, versionId: newVersionId(), lastModified: now() };
          bucket.versions.set(key, [...versions, marker]);
          res.writeHead(204, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId });
          res.end();
          return;
        }
        if (target === undefined) {
          res.writeHead(204, { 'x-amz-version-id': versionId });
          res.end();
          return;
        }
        if (!target.deleteMarker && target.retention !== undefined && target.retention.retainUntil > now()) {
          const bypass = String(req.headers['x-amz-bypass-governance-retention'] ?? '').toLowerCase() === 'true';
          if (target.retention.mode === 'COMPLIANCE' || !bypass) return fail(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
        }
        const rest = versions.filter((v) => v !== target);
        if (rest.length === 0) bucket.versions.delete(key);
        else bucket.versions.set(key, rest);
        res.writeHead(204, { 'x-amz-version-id': target.versionId, ...(target.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) });
        res.end();
        return;
      }
      default:
        return fail(501, 'NotImplemented', `The local S3 does not implement ${method} on an object`);
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        sendS3Error(res, req.method, 500, 'InternalError', error instanceof Error ? error.message : String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    versions: (bucket, key) => {
      const stored = buckets.get(bucket);
      if (stored === undefined) throw new Error(`The local S3 has no bucket ${bucket}`);
      return key === undefined ? [...stored.versions.values()].flat() : [...(stored.versions.get(key) ?? [])];
    },
    object: (bucket, key) => {
      const v = current(buckets.get(bucket)?.versions.get(key));
      return v === undefined || v.deleteMarker ? undefined : v;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
