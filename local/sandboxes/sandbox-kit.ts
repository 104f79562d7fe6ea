import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The small HTTP kit every vendor sandbox is built on: routing, JSON bodies, fault injection, rate
 * limits and a request log. Sandboxes speak the vendor's documented wire format; this kit holds
 * only what is the same for all of them, so a sandbox file reads as the vendor's API.
 */

/** A request as a sandbox route sees it. */
export interface SandboxRequest {
  readonly method: string;
  /** Path without the query string, percent-decoded per segment by the router. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** Path parameters captured by `:name` segments of the route pattern. */
  readonly params: Readonly<Record<string, string>>;
}

/** A response: a JSON body (object or array), a text body, or none. */
export interface SandboxResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly json?: unknown;
  readonly text?: string;
}

/** One route: `pattern` segments starting with `:` capture a parameter (`/record/v1/:type/:id`). */
export interface SandboxRoute {
  readonly method: string;
  readonly pattern: string;
  readonly handle: (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;
}

/**
 * How a fault strikes the requests it matches:
 * - `instead`: answer `response`; nothing is applied.
 * - `after-commit`: apply the request as the vendor would, then answer `response`: the vendor committed
 *   the write and the caller sees an error. The case that proves a create idempotent.
 * - `reset`: close the connection without an answer; nothing is applied.
 * - `reset-after-commit`: apply the request, then close the connection without an answer.
 */
export type FaultMode = 'instead' | 'after-commit' | 'reset' | 'reset-after-commit';

/** A fault to inject: the next `times` requests that match fail as `mode` says (after `delayMs`). */
export interface FaultSpec {
  readonly method?: string;
  /** Matches requests whose path starts with this. @default every path */
  readonly pathPrefix?: string;
  /** @default 1 */
  readonly times?: number;
  /** @default 'instead' */
  readonly mode?: FaultMode;
  /** The answer; required unless the mode is a reset. */
  readonly response?: SandboxResponse;
  /** Waits this long first: past the caller's timeout, a slow answer. @default 0 */
  readonly delayMs?: number;
}

/** What `route` answers when the connection is to be closed without a response. */
const RESET = Symbol('reset');

/** Why a fault cannot be injected, or undefined when it can. */
export function faultProblem(fault: FaultSpec): string | undefined {
  const mode = fault.mode ?? 'instead';
  if (!['instead', 'after-commit', 'reset', 'reset-after-commit'].includes(mode)) return `unknown fault mode ${String(mode)}`;
  if ((mode === 'instead' || mode === 'after-commit') && typeof fault.response?.status !== 'number') return `a fault in mode ${mode} needs response.status`;
  return undefined;
}

/** Rate limits a sandbox enforces, as its vendor does. */
export interface RateLimitOptions {
  /** Concurrent requests in flight beyond which the sandbox answers `response` (NetSuite's model). */
  readonly maxConcurrent?: number;
  /** Requests per window beyond which the sandbox answers `response` (HubSpot's, Kantata's model). */
  readonly maxPerWindow?: number;
  /** @default 10_000 */
  readonly windowMs?: number;
  /** The vendor's documented throttling response, built per request (headers may depend on time). */
  readonly response: () => SandboxResponse;
}

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Shown in logs and the admin endpoint. */
  readonly name: string;
  readonly routes: readonly SandboxRoute[];
  /** Checks credentials before routing; returns the vendor's 401 response to refuse. */
  readonly authenticate?: (request: SandboxRequest) => SandboxResponse | undefined;
  /** The vendor's response to an unknown path. */
  readonly notFound?: (request: SandboxRequest) => SandboxResponse;
  readonly rateLimit?: RateLimitOptions;
  /**
   * Time each vendor route takes to answer, so concurrency builds up as it does against a real API.
   * @default 0
   */
  readonly latencyMs?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Only loopback: sandboxes never listen on another interface. @default '127.0.0.1' */
  readonly host?: '127.0.0.1' | 'localhost' | '::1';
}

/** A logged request, for tests and the demo to show which calls were made. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: number;
}

/** A running sandbox. */
export interface RunningSandbox {
  readonly name: string;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Queue a fault; faults are consumed in the order they were injected. */
  injectFault(fault: FaultSpec): void;
  /** Drop every queued fault. */
  clearFaults(): void;
  /** Every request answered so far. */
  readonly requests: readonly LoggedRequest[];
  close(): Promise<void>;
}

/** Matches a route pattern against a path, returning captured parameters or undefined. */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

/**
 * Starts a sandbox on loopback. Besides the vendor routes it serves `POST /__sandbox/faults` (body: a
 * {@link FaultSpec}: an error instead of the answer, an error after the write was applied, a reset
 * connection, a slow answer) and `DELETE /__sandbox/faults`, so the local stack and demos can inject faults
 * from outside the process, and `GET /__sandbox/requests` with the request log.
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const faults: (FaultSpec & { remaining: number })[] = [];
  const requests: LoggedRequest[] = [];
  let inFlight = 0;
  let windowStart = Date.now();
  let windowCount = 0;

  const takeFault = (method: string, path: string): FaultSpec | undefined => {
    const index = faults.findIndex((f) => (f.method === undefined || f.method === method) && (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)));
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault;
  };

  const admin = (method: string, path: string, body: Buffer): SandboxResponse | undefined => {
    if (path === '/__sandbox/faults' && method === 'POST') {
      const fault = JSON.parse(body.toString('utf8') || '{}') as FaultSpec;
      const problem = faultProblem(fault);
      if (problem !== undefined) return { status: 400, json: { error: problem } };
      faults.push({ ...fault, remaining: fault.times ?? 1 });
      return { status: 204 };
    }
    if (path === '/__sandbox/faults' && method === 'DELETE') {
      faults.length = 0;
      return { status: 204 };
    }
    if (path === '/__sandbox/requests' && method === 'GET') return { status: 200, json: requests };
    return undefined;
  };

  const route = async (request: Omit<SandboxRequest, 'params'>): Promise<SandboxResponse | typeof RESET> => {
    const adminResponse = request.path.startsWith('/__sandbox/') ? admin(request.method, request.path, request.rawBody) : undefined;
    if (adminResponse !== undefined) return adminResponse;

    const fault = takeFault(request.method, request.path);
    if (fault !== undefined) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      const mode = fault.mode ?? 'instead';
      if (mode === 'instead') return fault.response!;
      if (mode === 'reset') return RESET;
      await serve(request);
      return mode === 'after-commit' ? fault.response! : RESET;
    }
    return serve(request);
  };

  /** The vendor's own handling of a request: its limits, its authentication, its routes. */
  const serve = async (request: Omit<SandboxRequest, 'params'>): Promise<SandboxResponse> => {
    // The back office (what people do in the vendor's UI) is not API traffic: no limits apply to it.
    const limit = request.path.startsWith('/__sandbox/') ? undefined : options.rateLimit;
    if (limit?.maxConcurrent !== undefined && inFlight > limit.maxConcurrent) return limit.response();
    if (limit?.maxPerWindow !== undefined) {
      const now = Date.now();
      if (now - windowStart >= (limit.windowMs ?? 10_000)) {
        windowStart = now;
        windowCount = 0;
      }
      windowCount += 1;
      if (windowCount > limit.maxPerWindow) return limit.response();
    }
    const refused = options.authenticate?.({ ...request, params: {} });
    if (refused !== undefined) return refused;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    for (const r of options.routes) {
      if (r.method !== request.method) continue;
      const params = matchPattern(r.pattern, request.path);
      if (params !== undefined) return r.handle({ ...request, params });
    }
    return options.notFound?.({ ...request, params: {} }) ?? { status: 404, json: { error: `no route ${request.method} ${request.path}` } };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight += 1;
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const method = (req.method ?? 'GET').toUpperCase();
      const request = { method, path: url.pathname, query: url.searchParams, headers: req.headers, rawBody: Buffer.concat(chunks) };
      route(request)
        .catch(
          (error: unknown): SandboxResponse => ({
            status: 500,
            json: { error: 'sandbox failure', detail: error instanceof Error ? error.message : String(error), id: randomUUID() },
          }),
        )
        .then((response) => {
          inFlight -= 1;
          if (response === RESET) {
            // A connection reset: the caller gets no answer at all (logged as status 0).
            requests.push({ method, path: request.path, status: 0, at: Date.now() });
            req.socket.destroy();
            return;
          }
          if (!request.path.startsWith('/__sandbox/')) requests.push({ method, path: request.path, status: response.status, at: Date.now() });
          const headers: Record<string, string> = { ...response.headers };
          let body: string | undefined;
          if (response.json !== undefined) {
            body = JSON.stringify(response.json);
            headers['content-type'] ??= 'application/json';
          } else if (response.text !== undefined) {
            body = response.text;
            headers['content-type'] ??= 'text/plain; charset=utf-8';
          }
          res.writeHead(response.status, headers);
          res.end(body);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    name: options.name,
    url: `http://${host}:${address.port}`,
    injectFault: (fault) => {
      const problem = faultProblem(fault);
      if (problem !== undefined) throw new Error(problem);
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Parses a JSON request body, or answers with the vendor's 400 built by `invalid`. */
export function readJson<T = unknown>(request: SandboxRequest): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(request.rawBody.toString('utf8')) as T };
  } catch {
    return { ok: false };
  }
}
