import { randomUUID } from 'node:crypto';
import { type RunningSandbox, readJson, type SandboxRequest, type SandboxResponse, startSandbox } from '../sandbox-kit';
import { createSalesforceTokenEndpoint, type SalesforceOAuthOptions } from './oauth-token-endpoint';
import { type ParentRelationship, parseSoql, runSoql, SoqlError } from './soql';

/**
 * A Salesforce org's REST API on loopback (docs/vendors/salesforce.md): sObject PATCH (204, no body), create (201
 * `{id, success, errors}`), upsert by external id (201 created, 200 updated, 300 when ambiguous),
 * sObject Collections of up to 200 with per-item results, error arrays matched by `errorCode`,
 * `INVALID_SESSION_ID` with 401, `REQUEST_LIMIT_EXCEEDED` with 403 once the daily allocation is spent,
 * and `Sforce-Limit-Info: api-usage=used/limit` on every response, and the SOQL the integration
 * sends (`/query`, paged by `nextRecordsUrl`). Every write records the `Sforce-Call-Options` client.
 * Sessions come only from the org's OAuth token endpoint (client credentials or JWT bearer, see
 * oauth-token-endpoint.ts) and expire after the org's session timeout.
 *
 * Change Data Capture through Event Relay: every change (through the API, or by a person through the
 * `/__sandbox/` back office) becomes a change event as Event Relay puts it on the partner event bus:
 * `detail-type` the event's API name, the record under `detail.payload` with its `ChangeEventHeader`
 * (changed fields listed, enriched fields present but unlisted, `changeOrigin` carrying the writer's
 * client id, `commitNumber` beyond 2^53 written as a bare JSON number). The back office also makes
 * what Event Relay does on a bad day: a merged multi-record event, GAP events, GAP_OVERFLOW, a lost
 * event, and a recovery replay of past events.
 *
 * Platform events (`/__sandbox/platform-events/<Name>__e`, as a flow publishes them) travel on their own
 * relay, onto a partner event source of their own: an Event Relay channel carries one kind of event.
 */

/** Options of {@link startSalesforceSandbox}. */
export interface SalesforceSandboxOptions {
  /** The org's connected apps and users: sessions are issued only by the token endpoint's flows. */
  readonly oauth: SalesforceOAuthOptions;
  /** Daily API allocation. @default 15_000 */
  readonly dailyLimit?: number;
  /** Fields each sObject type accepts; others are INVALID_FIELD. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** Parent relationships SOQL may select through, per sObject type and relationship name. @default none */
  readonly relationships?: Readonly<Record<string, Readonly<Record<string, ParentRelationship>>>>;
  /**
   * Restricted picklists: the values each field accepts, per sObject type; any other value is refused
   * with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, through the API and the back office alike. @default none
   */
  readonly picklists?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  readonly port?: number;
  /** The user API calls commit as (the integration user). @default 0050000000INTEG */
  readonly integrationUserId?: string;
  /** The user back-office changes commit as. @default 0050000000ALICE */
  readonly personUserId?: string;
  /** Where change events go: Event Relay onto a partner event bus. Without it, none are made. */
  readonly relay?: {
    /** `aws.partner/salesforce.com/<orgId>/<channelId>` */
    readonly eventSourceName: string;
    /** Puts one event on the partner bus; `detail` is JSON text (its commitNumber may exceed 2^53). */
    readonly put: (event: { source: string; detailType: string; detail: string; time: Date }) => Promise<void>;
    /** Objects whose changes are relayed. @default Opportunity */
    readonly entities?: readonly string[];
    /** Fields always sent (enrichment), per object, changed or not. */
    readonly enrichedFields?: Readonly<Record<string, readonly string[]>>;
  };
  /**
   * Where platform events go: a relay of their own, since a channel carries change events or platform
   * events, never both, and each relay is its own partner event source. Without it, published platform
   * events are not relayed.
   */
  readonly platformEventRelay?: {
    /** `aws.partner/salesforce.com/<orgId>/<channelId>` of the platform-event channel's relay. */
    readonly eventSourceName: string;
    readonly put: (event: { source: string; detailType: string; detail: string; time: Date }) => Promise<void>;
    /** The platform events that are members of the relayed channel. @default every one published */
    readonly events?: readonly string[];
  };
  /** Records a query page holds before `nextRecordsUrl`. @default 2000 */
  readonly queryPageSize?: number;
}

/** A change event as the sandbox emitted it, kept for replays. */
export interface EmittedChange {
  readonly detailType: string;
  readonly detail: string;
  readonly time: Date;
}

/** Fields every record has, beside those an org defines. */
const SYSTEM_FIELDS = ['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'LastModifiedById'];

interface SObject {
  Id: string;
  [field: string]: unknown;
}

/** A write the sandbox applied, with the client it came from (the `changeOrigin` CDC would carry). */
export interface AppliedWrite {
  readonly sobject: string;
  readonly id: string;
  readonly changeOrigin: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A running Salesforce sandbox. */
export interface SalesforceSandbox extends RunningSandbox {
  record(sobject: string, id: string): SObject | undefined;
  readonly writes: readonly AppliedWrite[];
  /** Change events relayed so far, in order (lost ones excluded). */
  readonly emitted: readonly EmittedChange[];
  /** Platform events published so far (through the back office, as a flow would), relayed or not. */
  readonly published: readonly EmittedChange[];
  /** Waits until every change event and platform event has been put on its bus. */
  settled(): Promise<void>;
  /** Expires every session issued so far, as the org's session timeout would. */
  expireSessions(): void;
  /** Sessions issued so far, by flow and user. */
  readonly sessionsIssued: readonly { flow: 'client-credentials' | 'jwt-bearer'; username: string }[];
}

const API = '/services/data/v64.0';
const TOKEN_PATH = '/services/oauth2/token';
const PREFIX: Readonly<Record<string, string>> = { Opportunity: '006', Account: '001', OpportunityLineItem: '00k', Contact: '003' };

/** A change event's API name: `OpportunityChangeEvent`, and for a custom object `pse__Milestone__ChangeEvent`. */
export function changeEventName(sobject: string): string {
  return sobject.endsWith('__c') ? `${sobject.slice(0, -1)}ChangeEvent` : `${sobject}ChangeEvent`;
}

/** Starts the sandbox. */
export async function startSalesforceSandbox(options: SalesforceSandboxOptions): Promise<SalesforceSandbox> {
  const store = new Map<string, Map<string, SObject>>();
  const writes: AppliedWrite[] = [];
  const emitted: EmittedChange[] = [];
  const published: EmittedChange[] = [];
  let used = 0;
  const limit = options.dailyLimit ?? 15_000;
  const integrationUser = options.integrationUserId ?? '0050000000INTEG';
  const personUser = options.personUserId ?? '0050000000ALICE';
  const headers = () => ({ 'Sforce-Limit-Info': `api-usage=${used}/${limit}` });
  const errors = (status: number, list: { errorCode: string; message: string; fields?: string[] }[]): SandboxResponse => ({
    status,
    headers: headers(),
    json: list.map((e) => ({ fields: [], ...e })),
  });
  const table = (sobject: string) => {
    let t = store.get(sobject);
    if (!t) store.set(sobject, (t = new Map()));
    return t;
  };
  const newId = (sobject: string) => `${PREFIX[sobject] ?? 'a0X'}${randomUUID().replace(/-/g, '').slice(0, 15).toUpperCase()}`;
  const invalidFields = (sobject: string, values: Record<string, unknown>) =>
    Object.keys(values).filter((k) => k !== 'attributes' && !(options.fields[sobject] ?? []).includes(k));
  /** The 400 a value gets that its restricted picklist lacks, if any. */
  const offPicklist = (sobject: string, values: Record<string, unknown>): SandboxResponse | undefined => {
    const off = Object.entries(options.picklists?.[sobject] ?? {}).filter(([field, allowed]) => field in values && !allowed.includes(String(values[field])));
    return off.length
      ? errors(
          400,
          off.map(([f]) => ({
            errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            message: `bad value for restricted picklist field: ${String(values[f])}`,
            fields: [f],
          })),
        )
      : undefined;
  };
  /** The 400 an API write gets for unknown fields or a value off its picklist, if any. */
  const refused = (sobject: string, values: Record<string, unknown>): SandboxResponse | undefined => {
    const bad = invalidFields(sobject, values);
    if (bad.length)
      return errors(
        400,
        bad.map((f) => ({ errorCode: 'INVALID_FIELD', message: `No such column '${f}' on sobject of type ${sobject}`, fields: [f] })),
      );
    return offPicklist(sobject, values);
  };
  const clientOf = (request: SandboxRequest) => /client=([^,;\s]+)/.exec(String(request.headers['sforce-call-options'] ?? ''))?.[1];
  const origin = (request: SandboxRequest) => {
    const client = clientOf(request);
    return `com/salesforce/api/rest/64.0${client ? `;client=${client}` : ''}`;
  };

  // Change Data Capture. Commit numbers start beyond 2^53, as in a busy org, so a float would misorder them.
  let commitNumber = 2n ** 53n + 1_000_000n;
  let lostToCome = 0;
  let relaying: Promise<void> = Promise.resolve();
  const emit = (detailType: string, header: Record<string, unknown>, fields: Record<string, unknown>) => {
    if (!options.relay || !(options.relay.entities ?? ['Opportunity']).includes(String(header.entityName))) return;
    commitNumber += 1n + BigInt(Math.floor(Math.random() * 5));
    const marker = '"__COMMIT_NUMBER__"';
    const payload = {
      ChangeEventHeader: { ...header, transactionKey: randomUUID(), sequenceNumber: 1, commitTimestamp: Date.now(), commitNumber: '__COMMIT_NUMBER__' },
      ...fields,
    };
    const detail = JSON.stringify({ payload, schemaId: 'sandbox-schema-v1', id: randomUUID() }).replace(marker, commitNumber.toString());
    if (lostToCome > 0) {
      lostToCome -= 1;
      return;
    }
    const change: EmittedChange = { detailType, detail, time: new Date() };
    emitted.push(change);
    const relay = options.relay;
    relaying = relaying.then(() => relay.put({ source: relay.eventSourceName, detailType, detail, time: change.time }));
  };
  /** The change event of one committed write: changed fields listed, enriched fields added unlisted. */
  const changeEvent = (
    sobject: string,
    records: readonly SObject[],
    changeType: 'CREATE' | 'UPDATE',
    values: Record<string, unknown>,
    changeOrigin: string,
    commitUser: string,
  ) => {
    const changedFields = [...Object.keys(values).filter((k) => k !== 'attributes'), 'LastModifiedDate'];
    const enriched = options.relay?.enrichedFields?.[sobject] ?? [];
    const first = records[0]!;
    const fields = Object.fromEntries([...new Set([...changedFields, ...enriched])].map((f) => [f, f in values ? values[f] : (first[f] ?? null)]));
    emit(changeEventName(sobject), { entityName: sobject, recordIds: records.map((r) => r.Id), changeType, changedFields, changeOrigin, commitUser }, fields);
  };
  const stamp = (record: SObject, user: string) => {
    const now = new Date().toISOString().replace('Z', '+0000');
    record.CreatedDate ??= now;
    record.LastModifiedDate = now;
    record.SystemModstamp = now;
    record.LastModifiedById = user;
  };
  const apply = (request: SandboxRequest, sobject: string, record: SObject, values: Record<string, unknown>, changeType: 'CREATE' | 'UPDATE' = 'UPDATE') => {
    const { attributes: _attributes, ...fields } = values;
    Object.assign(record, fields);
    stamp(record, integrationUser);
    writes.push({ sobject, id: record.Id, changeOrigin: origin(request), fields });
    changeEvent(sobject, [record], changeType, fields, origin(request), integrationUser);
  };
  /** A person's change through the UI: no client id in changeOrigin, committed by that person. */
  const personChange = (sobject: string, records: SObject[], values: Record<string, unknown>, changeType: 'CREATE' | 'UPDATE') => {
    for (const record of records) {
      Object.assign(record, values);
      stamp(record, personUser);
    }
    changeEvent(sobject, records, changeType, values, 'com/salesforce/ui', personUser);
  };

  // SOQL: a query's later pages are kept under a locator, as Salesforce keeps a query cursor.
  const pageSize = options.queryPageSize ?? 2000;
  const cursors = new Map<string, Record<string, unknown>[]>();
  const page = (sobject: string, rows: Record<string, unknown>[], totalSize: number): SandboxResponse => {
    const records = rows.slice(0, pageSize).map((r) => ({ attributes: { type: sobject, url: `${API}/sobjects/${sobject}/${String(r.Id ?? '')}` }, ...r }));
    const rest = rows.slice(pageSize);
    let nextRecordsUrl: string | undefined;
    if (rest.length) {
      const locator = `01g${randomUUID().replace(/-/g, '').slice(0, 15)}-${pageSize}`;
      cursors.set(
        locator,
        rest.map((r) => ({ ...r, __sobject: sobject })),
      );
      nextRecordsUrl = `${API}/query/${locator}`;
    }
    return { status: 200, headers: headers(), json: { totalSize, done: !nextRecordsUrl, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records } };
  };
  const fieldsOf = (sobject: string) => (options.fields[sobject] ? [...SYSTEM_FIELDS, ...options.fields[sobject]] : undefined);

  const oauth = createSalesforceTokenEndpoint(options.oauth);
  const sandbox = await startSandbox({
    name: 'salesforce',
    ...(options.port === undefined ? {} : { port: options.port }),
    authenticate: (request) => {
      if (request.path.startsWith('/__sandbox/') || request.path === TOKEN_PATH) return undefined;
      // Only a session the token endpoint issued, and only until it expires.
      // Salesforce's 401 body carries no fields list.
      if (!oauth.session(request.headers.authorization))
        return { status: 401, headers: headers(), json: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
      used += 1;
      return used > limit ? errors(403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: `TotalRequests Limit exceeded.` }]) : undefined;
    },
    notFound: () => errors(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]),
    routes: [
      { method: 'POST', pattern: TOKEN_PATH, handle: (request) => oauth.issue(request) },
      {
        method: 'POST',
        pattern: '/__sandbox/oauth/expire-sessions',
        handle: () => {
          oauth.expireSessions();
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        pattern: `${API}/sobjects/:sobject`,
        handle: (request) => {
          const body = readJson<Record<string, unknown>>(request);
          if (!body.ok) return errors(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body is not JSON' }]);
          const refusal = refused(request.params.sobject!, body.value);
          if (refusal) return refusal;
          const record: SObject = { Id: newId(request.params.sobject!) };
          table(request.params.sobject!).set(record.Id, record);
          apply(request, request.params.sobject!, record, body.value, 'CREATE');
          return { status: 201, headers: headers(), json: { id: record.Id, success: true, errors: [] } };
        },
      },
      {
        method: 'GET',
        pattern: `${API}/sobjects/:sobject/:id`,
        handle: (request) => {
          const record = table(request.params.sobject!).get(request.params.id!);
          return record
            ? { status: 200, headers: headers(), json: { attributes: { type: request.params.sobject }, ...record } }
            : errors(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
        },
      },
      {
        method: 'PATCH',
        pattern: `${API}/sobjects/:sobject/:id`,
        handle: (request) => {
          const record = table(request.params.sobject!).get(request.params.id!);
          if (!record) return errors(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
          const body = readJson<Record<string, unknown>>(request);
          if (!body.ok) return errors(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body is not JSON' }]);
          const refusal = refused(request.params.sobject!, body.value);
          if (refusal) return refusal;
          apply(request, request.params.sobject!, record, body.value);
          return { status: 204, headers: headers() };
        },
      },
      {
        method: 'PATCH',
        pattern: `${API}/sobjects/:sobject/:field/:value`,
        handle: (request) => {
          const { sobject, field, value } = request.params as { sobject: string; field: string; value: string };
          const body = readJson<Record<string, unknown>>(request);
          if (!body.ok) return errors(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body is not JSON' }]);
          const matches = [...table(sobject).values()].filter((r) => r[field] === value);
          if (matches.length > 1) return { status: 300, headers: headers(), json: matches.map((m) => `${API}/sobjects/${sobject}/${m.Id}`) };
          if (matches[0]) {
            apply(request, sobject, matches[0], body.value);
            return { status: 200, headers: headers(), json: { id: matches[0].Id, success: true, errors: [], created: false } };
          }
          const record: SObject = { Id: newId(sobject), [field]: value };
          table(sobject).set(record.Id, record);
          apply(request, sobject, record, { [field]: value, ...body.value }, 'CREATE');
          return { status: 201, headers: headers(), json: { id: record.Id, success: true, errors: [], created: true } };
        },
      },
      {
        method: 'GET',
        pattern: `${API}/query`,
        handle: (request) => {
          try {
            const query = parseSoql(request.query.get('q') ?? '', fieldsOf, (sobject) => options.relationships?.[sobject]);
            const rows = runSoql(query, [...table(query.sobject).values()], (sobject, id) => store.get(sobject)?.get(id));
            return page(query.sobject, rows, rows.length);
          } catch (error) {
            if (error instanceof SoqlError) return errors(400, [{ errorCode: error.errorCode, message: error.message }]);
            throw error;
          }
        },
      },
      {
        method: 'GET',
        pattern: `${API}/query/:locator`,
        handle: (request) => {
          const rest = cursors.get(request.params.locator!);
          if (!rest) return errors(400, [{ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' }]);
          cursors.delete(request.params.locator!);
          const sobject = String(rest[0]?.__sobject ?? '');
          return page(
            sobject,
            rest.map(({ __sobject: _s, ...r }) => r),
            rest.length,
          );
        },
      },
      // The back office: what people and Event Relay do, not part of Salesforce's API.
      {
        method: 'POST',
        pattern: '/__sandbox/sobjects/:sobject',
        handle: (request) => {
          const body = readJson<Record<string, unknown>>(request);
          if (!body.ok) return { status: 400, json: { error: 'JSON body expected' } };
          const refusal = offPicklist(request.params.sobject!, body.value);
          if (refusal) return refusal;
          const record: SObject = { Id: newId(request.params.sobject!) };
          table(request.params.sobject!).set(record.Id, record);
          personChange(request.params.sobject!, [record], body.value, 'CREATE');
          return { status: 201, json: { id: record.Id } };
        },
      },
      {
        method: 'PATCH',
        pattern: '/__sandbox/sobjects/:sobject',
        handle: (request) => {
          // One transaction over many records: CDC merges it into one event listing every record id.
          const body = readJson<{ ids: string[]; values: Record<string, unknown> }>(request);
          const records = body.ok ? body.value.ids.map((id) => table(request.params.sobject!).get(id)) : [];
          if (!body.ok || records.length === 0 || records.some((r) => !r))
            return { status: 400, json: { error: 'ids of existing records and values expected' } };
          personChange(request.params.sobject!, records as SObject[], body.value.values, 'UPDATE');
          return { status: 204 };
        },
      },
      {
        method: 'PATCH',
        pattern: '/__sandbox/sobjects/:sobject/:id',
        handle: (request) => {
          const record = table(request.params.sobject!).get(request.params.id!);
          const body = readJson<Record<string, unknown>>(request);
          if (!record || !body.ok) return { status: 400, json: { error: 'an existing record and a JSON body expected' } };
          const refusal = offPicklist(request.params.sobject!, body.value);
          if (refusal) return refusal;
          personChange(request.params.sobject!, [record], body.value, 'UPDATE');
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        pattern: '/__sandbox/relay/gap',
        handle: (request) => {
          // Salesforce could not read the change itself: the event names the records and no values.
          const body = readJson<{ sobject: string; ids?: string[]; changeType: string }>(request);
          if (!body.ok) return { status: 400, json: { error: 'JSON body expected' } };
          const { sobject, ids = [], changeType } = body.value;
          emit(
            changeEventName(sobject),
            {
              entityName: sobject,
              recordIds: changeType === 'GAP_OVERFLOW' ? [] : ids,
              changeType,
              changedFields: [],
              changeOrigin: '',
              commitUser: personUser,
            },
            {},
          );
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        pattern: '/__sandbox/platform-events/:event',
        handle: (request) => {
          // A flow publishing a platform event: relayed on the platform-event relay when the event is a member of its channel.
          const name = request.params.event!;
          const body = readJson<Record<string, unknown>>(request);
          if (!/^[A-Za-z][A-Za-z0-9_]*__e$/.test(name) || !body.ok)
            return { status: 400, json: { error: 'a platform event API name (<Name>__e) and a JSON body expected' } };
          const eventUuid = randomUUID();
          const payload = { ...body.value, CreatedDate: new Date().toISOString(), CreatedById: personUser, EventUuid: eventUuid };
          const event: EmittedChange = {
            detailType: name,
            detail: JSON.stringify({ payload, schemaId: 'sandbox-schema-v1', id: randomUUID() }),
            time: new Date(),
          };
          published.push(event);
          const relay = options.platformEventRelay;
          if (relay && (relay.events ?? [name]).includes(name))
            relaying = relaying.then(() => relay.put({ source: relay.eventSourceName, detailType: event.detailType, detail: event.detail, time: event.time }));
          return { status: 201, json: { id: eventUuid } };
        },
      },
      {
        method: 'POST',
        pattern: '/__sandbox/relay/lose-next',
        handle: (request) => {
          const body = readJson<{ count?: number }>(request);
          lostToCome += body.ok ? (body.value.count ?? 1) : 1;
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        pattern: '/__sandbox/relay/replay',
        handle: () => {
          // A relay recovering replays what it had already delivered (up to 3 days of it).
          const relay = options.relay;
          if (!relay) return { status: 409, json: { error: 'no relay configured' } };
          for (const change of [...emitted])
            relaying = relaying.then(() =>
              relay.put({ source: relay.eventSourceName, detailType: change.detailType, detail: change.detail, time: change.time }),
            );
          return { status: 200, json: { replayed: emitted.length } };
        },
      },
      {
        method: 'PATCH',
        pattern: `${API}/composite/sobjects`,
        handle: (request) => {
          const body = readJson<{ allOrNone?: boolean; records?: (Record<string, unknown> & { attributes?: { type?: string }; id?: string; Id?: string })[] }>(
            request,
          );
          const records = body.ok ? (body.value.records ?? []) : [];
          if (records.length === 0 || records.length > 200)
            return errors(400, [{ errorCode: 'INVALID_BATCH_SIZE', message: 'Collections take 1 to 200 records' }]);
          // HTTP 200 even when some items fail: each result says whether its record was saved.
          const checked = records.map((r) => {
            const sobject = r.attributes?.type ?? '';
            const id = String(r.id ?? r.Id ?? '');
            const record = table(sobject).get(id);
            const { id: _id, Id: _Id, ...values } = r;
            if (!record) return { id, sobject, values, error: { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] as string[] } };
            const bad = invalidFields(sobject, values);
            if (bad.length) return { id, sobject, values, error: { statusCode: 'INVALID_FIELD', message: `No such column '${bad[0]}'`, fields: bad } };
            return { id, sobject, values, record };
          });
          const rollBack = body.ok && body.value.allOrNone === true && checked.some((c) => c.error);
          const results = checked.map((c) => {
            if (c.error) return { id: c.id, success: false, errors: [c.error] };
            if (rollBack)
              return {
                id: c.id,
                success: false,
                errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid', fields: [] }],
              };
            apply(request, c.sobject, c.record!, c.values);
            return { id: c.id, success: true, errors: [] };
          });
          return { status: 200, headers: headers(), json: results };
        },
      },
    ],
  });
  return {
    ...sandbox,
    record: (sobject, id) => store.get(sobject)?.get(id),
    writes,
    emitted,
    published,
    expireSessions: () => oauth.expireSessions(),
    sessionsIssued: oauth.issued,
    settled: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== relaying) {
        seen = relaying;
        await relaying;
      }
    },
  };
}
