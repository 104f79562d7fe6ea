import { createHash, randomUUID } from 'node:crypto';
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
 * - `slow`: apply the request and answer as the vendor would, `delayMs` late.
 */
export type FaultMode = 'instead' | 'after-commit' | 'reset' | 'reset-after-commit' | 'slow';

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
  if (!['instead', 'after-commit', 'reset', 'reset-after-commit', 'slow'].includes(mode)) return `unknown fault mode ${String(mode)}`;
  if ((mode === 'instead' || mode === 'after-commit') && typeof fault.response?.status !== 'number') return `a fault in mode ${mode} needs response.status`;
  return undefined;
}

/**
 * The kinds of fault a schedule draws from:
 * - `throttle`: the vendor's own throttling answer (its rate limit response), nothing applied.
 * - `unavailable`: a 503, nothing applied.
 * - `reset`: the connection closed without an answer, nothing applied.
 * - `slow`: the answer (applied) comes after `slowMs`, past the caller's timeout.
 * - `after-commit`: applied, then a 502.
 * - `reset-after-commit`: applied, then the connection closed.
 */
export type ScheduledFault = 'throttle' | 'unavailable' | 'reset' | 'slow' | 'after-commit' | 'reset-after-commit';

/**
 * A seeded fault schedule: each API request fails with probability `rate`, as one of `kinds`. The draw
 * is a hash of the seed, the request (method, path, query, body) and how many times that same request
 * came before, not a shared random stream, so a run is repeatable even when deals interleave
 * differently: the third attempt of one create meets the same fate in every run.
 */
export interface FaultSchedule {
  readonly seed: number;
  /** Share of API requests that fail, from 0 to 1. */
  readonly rate: number;
  /** Drawn with equal weight; a kind may be listed twice to weigh it double. */
  readonly kinds: readonly ScheduledFault[];
  /** Only requests with this method, e.g. POST for writes only. @default every method */
  readonly methods?: readonly string[];
  /** Only requests whose path starts with this. @default every path */
  readonly pathPrefix?: string;
  /** How late a `slow` answer comes. @default 2_000 */
  readonly slowMs?: number;
}

/** Why a schedule cannot be played, or undefined when it can. */
export function scheduleProblem(schedule: FaultSchedule): string | undefined {
  const kinds: readonly string[] = ['throttle', 'unavailable', 'reset', 'slow', 'after-commit', 'reset-after-commit'];
  if (!Number.isSafeInteger(schedule.seed)) return 'a schedule needs an integer seed';
  if (!(typeof schedule.rate === 'number' && schedule.rate >= 0 && schedule.rate <= 1)) return 'a schedule needs a rate from 0 to 1';
  if (!Array.isArray(schedule.kinds) || schedule.kinds.length === 0) return 'a schedule needs at least one kind of fault';
  const unknown = schedule.kinds.find((k) => !kinds.includes(k));
  return unknown === undefined ? undefined : `unknown fault kind ${String(unknown)}`;
}

/** A number in [0, 1) drawn from the hash of `parts`. */
function draw(...parts: readonly (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
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
  /** Play a seeded fault schedule from now on, besides the queued faults (which come first). */
  scheduleFaults(schedule: FaultSchedule): void;
  /** Drop every queued fault and the schedule. */
  clearFaults(): void;
  /** The faults the schedule played, in order: what a run met, for its report. */
  readonly scheduledFaults: readonly { readonly method: string; readonly path: string; readonly kind: ScheduledFault }[];
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
  let schedule: FaultSchedule | undefined;
  const seen = new Map<string, number>();
  const scheduledFaults: { method: string; path: string; kind: ScheduledFault }[] = [];
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

  /** The schedule's fault for this request, if it draws one: decided by the request and its repeat count. */
  const scheduled = (request: Omit<SandboxRequest, 'params'>): FaultSpec | undefined => {
    // The back office (what people do in the vendor's UI) is not API traffic: no faults strike it.
    if (schedule === undefined || request.path.startsWith('/__sandbox/')) return undefined;
    if (schedule.methods !== undefined && !schedule.methods.includes(request.method)) return undefined;
    if (schedule.pathPrefix !== undefined && !request.path.startsWith(schedule.pathPrefix)) return undefined;
    const key = `${request.method} ${request.path}?${request.query.toString()} ${request.rawBody.toString('utf8')}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    if (draw(schedule.seed, key, occurrence) >= schedule.rate) return undefined;
    const kind = schedule.kinds[Math.floor(draw(schedule.seed, 'kind', key, occurrence) * schedule.kinds.length)]!;
    scheduledFaults.push({ method: request.method, path: request.path, kind });
    const unavailable: SandboxResponse = { status: 503, json: { error: 'service unavailable (scheduled fault)' } };
    switch (kind) {
      case 'throttle':
        return { response: options.rateLimit?.response() ?? { status: 429, json: { error: 'too many requests' } } };
      case 'unavailable':
        return { response: unavailable };
      case 'reset':
        return { mode: 'reset' };
      case 'slow':
        return { mode: 'slow', delayMs: schedule.slowMs ?? 2_000 };
      case 'after-commit':
        return { mode: 'after-commit', response: { status: 502, json: { error: 'bad gateway (scheduled fault)' } } };
      case 'reset-after-commit':
        return { mode: 'reset-after-commit' };
    }
  };

  const clearFaults = () => {
    faults.length = 0;
    schedule = undefined;
    seen.clear();
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
      clearFaults();
      return { status: 204 };
    }
    if (path === '/__sandbox/fault-schedule' && method === 'POST') {
      const next = JSON.parse(body.toString('utf8') || '{}') as FaultSchedule;
      const problem = scheduleProblem(next);
      if (problem !== undefined) return { status: 400, json: { error: problem } };
      schedule = next;
      return { status: 204 };
    }
    if (path === '/__sandbox/fault-schedule' && method === 'GET') return { status: 200, json: { schedule: schedule ?? null, played: scheduledFaults } };
    if (path === '/__sandbox/requests' && method === 'GET') return { status: 200, json: requests };
    return undefined;
  };

  const route = async (request: Omit<SandboxRequest, 'params'>): Promise<SandboxResponse | typeof RESET> => {
    const adminResponse = request.path.startsWith('/__sandbox/') ? admin(request.method, request.path, request.rawBody) : undefined;
    if (adminResponse !== undefined) return adminResponse;

    const fault = takeFault(request.method, request.path) ?? scheduled(request);
    if (fault !== undefined) {
      const mode = fault.mode ?? 'instead';
      if (mode === 'slow') {
        // Applied at once, answered late: what a caller that gives up sees of a slow vendor.
        const response = await serve(request);
        await new Promise((r) => setTimeout(r, fault.delayMs));
        return response;
      }
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
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
    scheduleFaults: (next) => {
      const problem = scheduleProblem(next);
      if (problem !== undefined) throw new Error(problem);
      schedule = next;
    },
    clearFaults,
    scheduledFaults,
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

/**
 * How a sandbox reaches a URL it calls back (a webhook): public addresses routed to where they run
 * locally, as DNS and a TLS-terminating proxy would route them. The URL the vendor signs and records
 * stays the public one; only the connection goes elsewhere.
 */
export class LocalNetwork {
  private readonly routes: { readonly publicPrefix: string; readonly localPrefix: string }[] = [];

  /** Requests to URLs under `publicPrefix` go to the same path under `localPrefix`. */
  add(publicPrefix: string, localPrefix: string): void {
    this.routes.push({ publicPrefix, localPrefix });
  }

  /** Where a request to `url` is sent. */
  route(url: string): string {
    const found = this.routes.find((r) => url.startsWith(r.publicPrefix));
    return found === undefined ? url : `${found.localPrefix}${url.slice(found.publicPrefix.length)}`;
  }
}
