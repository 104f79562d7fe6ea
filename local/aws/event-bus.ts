import { randomUUID } from 'node:crypto';
import { type AwsJsonServer, AwsServiceError, startAwsJsonServer } from './aws-json-server';
import { matchesEventPattern } from './event-pattern';

/**
 * EventBridge stand-in: `PutEvents` onto named buses, `PutPartnerEvents` onto a partner event bus
 * (named after its partner event source, as Salesforce Event Relay delivers), rules matched with
 * EventBridge's pattern semantics, targets delivered with a retry policy and a dead-letter queue,
 * archives, and `StartReplay`, which re-sends archived events with `replay-name` set as EventBridge
 * does. An event's detail keeps the exact text it was put with (numbers beyond 2^53 included).
 */

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
  readonly 'replay-name'?: string;
}

/** A rule target: where matched events go, how often delivery is retried, and where failures land. */
export interface LocalTarget {
  readonly id: string;
  readonly deliver: (event: BusEvent) => Promise<void>;
  /** @default 185, EventBridge's default */
  readonly retryAttempts?: number;
  /** Receives an event whose delivery failed every attempt, with the reason. */
  readonly deadLetter?: (event: BusEvent, reason: string) => Promise<void>;
}

/** A rule on a bus. */
export interface LocalRule {
  readonly name: string;
  readonly eventBusName: string;
  readonly eventPattern: Record<string, unknown>;
  readonly targets: readonly LocalTarget[];
}

/** An archive of one bus. */
export interface LocalArchive {
  readonly name: string;
  readonly eventBusName: string;
  readonly eventPattern: Record<string, unknown>;
}

const MAX_ENTRY_BYTES = 256 * 1024;

/** The detail text each event was put with: JSON.parse would round integers beyond 2^53. */
const rawDetails = new WeakMap<BusEvent, string>();

/** An event as EventBridge serialises it for a target, its detail exactly as it was put. */
export function busEventJson(event: BusEvent): string {
  const raw = rawDetails.get(event);
  if (raw === undefined) return JSON.stringify(event);
  const marker = `"__detail_${event.id}__"`;
  return JSON.stringify({ ...event, detail: marker.slice(1, -1) }).replace(marker, () => raw);
}

/** Starts the stand-in. */
export async function startEventBus(options: {
  readonly region: string;
  readonly account?: string;
  readonly eventBusNames: readonly string[];
  readonly rules: readonly LocalRule[];
  readonly archives?: readonly LocalArchive[];
  /** Pause between delivery retries, in ms. @default 1000 */
  readonly retryDelayMs?: number;
  readonly port?: number;
}): Promise<AwsJsonServer & { readonly archived: ReadonlyMap<string, readonly BusEvent[]>; readonly deliveries: Promise<void>[]; settled(): Promise<void> }> {
  const account = options.account ?? '000000000000';
  const busArn = (name: string) => `arn:aws:events:${options.region}:${account}:event-bus/${name}`;
  const archiveArn = (name: string) => `arn:aws:events:${options.region}:${account}:archive/${name}`;
  const archived = new Map<string, BusEvent[]>((options.archives ?? []).map((a) => [a.name, []]));
  const deliveries: Promise<void>[] = [];
  const busNameOf = (nameOrArn: unknown): string => {
    const value = typeof nameOrArn === 'string' && nameOrArn !== '' ? nameOrArn : 'default';
    const name = value.startsWith('arn:') ? value.slice(value.indexOf('event-bus/') + 'event-bus/'.length) : value;
    if (!options.eventBusNames.includes(name)) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return name;
  };

  const deliver = async (target: LocalTarget, event: BusEvent) => {
    const attempts = 1 + (target.retryAttempts ?? 185);
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await target.deliver(event);
        return;
      } catch (error) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (attempt < attempts) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 1000));
      }
    }
    await target.deadLetter?.(event, lastError);
  };

  const route = (busName: string, event: BusEvent) => {
    for (const rule of options.rules) {
      if (rule.eventBusName !== busName || !matchesEventPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targets) deliveries.push(deliver(target, event));
    }
  };

  const server = await startAwsJsonServer({
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    port: options.port,
    operations: {
      PutEvents: ({ Entries }) => put(Entries, (entry) => busNameOf(entry.EventBusName)),
      // A partner's events land on the partner event bus, which bears the partner event source's name.
      PutPartnerEvents: ({ Entries }) => put(Entries, (entry) => busNameOf(entry.Source)),
      StartReplay: ({ ReplayName, EventSourceArn, EventStartTime, EventEndTime, Destination }) => {
        const archive = (options.archives ?? []).find((a) => archiveArn(a.name) === EventSourceArn);
        if (archive === undefined) throw new AwsServiceError('ResourceNotFoundException', `Archive ${String(EventSourceArn)} does not exist.`);
        const destination = busNameOf((Destination as { Arn?: string } | undefined)?.Arn);
        const from = Number(EventStartTime) * 1000;
        const to = Number(EventEndTime) * 1000;
        for (const event of archived.get(archive.name) ?? []) {
          const at = Date.parse(event.time);
          if (at < from || at > to) continue;
          const replayed: BusEvent = { ...event, 'replay-name': String(ReplayName) };
          const raw = rawDetails.get(event);
          if (raw !== undefined) rawDetails.set(replayed, raw);
          route(destination, replayed);
        }
        return { ReplayArn: `arn:aws:events:${options.region}:${account}:replay/${String(ReplayName)}`, State: 'COMPLETED' };
      },
      DescribeEventBus: ({ Name }) => ({ Name: busNameOf(Name), Arn: busArn(busNameOf(Name)) }),
    },
  });

  function put(Entries: unknown, busOf: (entry: Record<string, unknown>) => string) {
    const entries = (Entries as Record<string, unknown>[] | undefined) ?? [];
    if (entries.length < 1 || entries.length > 10) throw new AwsServiceError('ValidationException', 'PutEvents takes 1 to 10 entries.');
    const results = entries.map((entry) => {
      let detail: unknown;
      try {
        detail = JSON.parse(String(entry.Detail ?? ''));
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
      if (Buffer.byteLength(JSON.stringify(entry), 'utf8') > MAX_ENTRY_BYTES) return { ErrorCode: 'EntryTooLarge', ErrorMessage: 'Entry exceeds 256 KB.' };
      if (!entry.Source || !entry.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required.' };
      const busName = busOf(entry);
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': String(entry.DetailType),
        source: String(entry.Source),
        account,
        time: (entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : String(entry.Time)))
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: options.region,
        resources: (entry.Resources as string[] | undefined) ?? [],
        detail,
      };
      for (const archive of options.archives ?? []) {
        if (archive.eventBusName === busName && matchesEventPattern(archive.eventPattern, event)) archived.get(archive.name)!.push(event);
      }
      rawDetails.set(event, String(entry.Detail));
      route(busName, event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  return {
    ...server,
    archived,
    deliveries,
    async settled() {
      // Deliveries can start further deliveries (a consumer publishes again): wait until none are new.
      let seen = -1;
      while (seen !== deliveries.length) {
        seen = deliveries.length;
        await Promise.all(deliveries);
      }
    },
  };
}
