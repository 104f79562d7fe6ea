import { randomUUID } from 'node:crypto';
import { type RunningSandbox, type SandboxRequest, type SandboxResponse, readJson, startSandbox } from '../sandbox-kit';

/**
 * A Salesforce org's REST API on loopback (VENDORS.md): sObject PATCH (204, no body), create (201
 * `{id, success, errors}`), upsert by external id (201 created, 200 updated, 300 when ambiguous),
 * sObject Collections of up to 200 with per-item results, error arrays matched by `errorCode`,
 * `INVALID_SESSION_ID` with 401, `REQUEST_LIMIT_EXCEEDED` with 403 once the daily allocation is spent,
 * and `Sforce-Limit-Info: api-usage=used/limit` on every response. Every write records the
 * `Sforce-Call-Options` client, as CDC would put it in `changeOrigin`.
 */

/** Options of {@link startSalesforceSandbox}. */
export interface SalesforceSandboxOptions {
  readonly accessTokens: readonly string[];
  /** Daily API allocation. @default 15_000 */
  readonly dailyLimit?: number;
  /** Fields each sObject type accepts; others are INVALID_FIELD. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly port?: number;
}

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
}

const API = '/services/data/v64.0';
const PREFIX: Readonly<Record<string, string>> = { Opportunity: '006', Account: '001' };

/** Starts the sandbox. */
export async function startSalesforceSandbox(options: SalesforceSandboxOptions): Promise<SalesforceSandbox> {
  const store = new Map<string, Map<string, SObject>>();
  const writes: AppliedWrite[] = [];
  let used = 0;
  const limit = options.dailyLimit ?? 15_000;
  const headers = () => ({ 'Sforce-Limit-Info': `api-usage=${used}/${limit}` });
  const errors = (status: number, list: { errorCode: string; message: string; fields?: string[] }[]): SandboxResponse => ({ status, headers: headers(), json: list.map((e) => ({ fields: [], ...e })) });
  const table = (sobject: string) => {
    let t = store.get(sobject);
    if (!t) store.set(sobject, (t = new Map()));
    return t;
  };
  const newId = (sobject: string) => `${PREFIX[sobject] ?? 'a0X'}${randomUUID().replace(/-/g, '').slice(0, 15).toUpperCase()}`;
  const invalidFields = (sobject: string, values: Record<string, unknown>) => Object.keys(values).filter((k) => k !== 'attributes' && !(options.fields[sobject] ?? []).includes(k));
  const origin = (request: SandboxRequest) => {
    const client = /client=([^,;\s]+)/.exec(String(request.headers['sforce-call-options'] ?? ''))?.[1];
    return `com/salesforce/api/rest/64.0${client ? `;client=${client}` : ''}`;
  };
  const apply = (request: SandboxRequest, sobject: string, record: SObject, values: Record<string, unknown>) => {
    const { attributes: _attributes, ...fields } = values;
    Object.assign(record, fields);
    writes.push({ sobject, id: record.Id, changeOrigin: origin(request), fields });
  };

  const sandbox = await startSandbox({
    name: 'salesforce',
    ...(options.port === undefined ? {} : { port: options.port }),
    authenticate: (request) => {
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!options.accessTokens.includes(token)) return errors(401, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
      used += 1;
      return used > limit ? errors(403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: `TotalRequests Limit exceeded.` }]) : undefined;
    },
    notFound: () => errors(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]),
    routes: [
      {
        method: 'POST',
        pattern: `${API}/sobjects/:sobject`,
        handle: (request) => {
          const body = readJson<Record<string, unknown>>(request);
          if (!body.ok) return errors(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body is not JSON' }]);
          const bad = invalidFields(request.params.sobject!, body.value);
          if (bad.length) return errors(400, bad.map((f) => ({ errorCode: 'INVALID_FIELD', message: `No such column '${f}' on sobject of type ${request.params.sobject}`, fields: [f] })));
          const record: SObject = { Id: newId(request.params.sobject!) };
          table(request.params.sobject!).set(record.Id, record);
          apply(request, request.params.sobject!, record, body.value);
          return { status: 201, headers: headers(), json: { id: record.Id, success: true, errors: [] } };
        },
      },
      {
        method: 'GET',
        pattern: `${API}/sobjects/:sobject/:id`,
        handle: (request) => {
          const record = table(request.params.sobject!).get(request.params.id!);
          return record ? { status: 200, headers: headers(), json: { attributes: { type: request.params.sobject }, ...record } } : errors(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
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
          const bad = invalidFields(request.params.sobject!, body.value);
          if (bad.length) return errors(400, bad.map((f) => ({ errorCode: 'INVALID_FIELD', message: `No such column '${f}'`, fields: [f] })));
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
          apply(request, sobject, record, body.value);
          return { status: 201, headers: headers(), json: { id: record.Id, success: true, errors: [], created: true } };
        },
      },
      {
        method: 'PATCH',
        pattern: `${API}/composite/sobjects`,
        handle: (request) => {
          const body = readJson<{ allOrNone?: boolean; records?: (Record<string, unknown> & { attributes?: { type?: string }; id?: string; Id?: string })[] }>(request);
          const records = body.ok ? (body.value.records ?? []) : [];
          if (records.length === 0 || records.length > 200) return errors(400, [{ errorCode: 'INVALID_BATCH_SIZE', message: 'Collections take 1 to 200 records' }]);
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
            if (rollBack) return { id: c.id, success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid', fields: [] }] };
            apply(request, c.sobject, c.record!, c.values);
            return { id: c.id, success: true, errors: [] };
          });
          return { status: 200, headers: headers(), json: results };
        },
      },
    ],
  });
  return { ...sandbox, record: (sobject, id) => store.get(sobject)?.get(id), writes };
}
