/**
 * The part of SOQL the integration sends, interpreted over in-memory records: `SELECT fields FROM
 * Object [WHERE condition [AND condition]...] [ORDER BY field [ASC|DESC]] [LIMIT n]`, with `=`, `!=`,
 * `<`, `<=`, `>`, `>=` and `IN (...)`, and string, number, boolean, null, date and datetime literals.
 * A selected field may go one parent relationship up (`pse__Assignment__r.pse__Role__c`), answered as
 * Salesforce answers it: a nested record with its `attributes`, or null when the lookup is empty.
 * Anything else is refused as Salesforce refuses it: `MALFORMED_QUERY`, or `INVALID_FIELD` for a field
 * the object lacks. Small on purpose: enough to hold the adapter to real SOQL, not a SOQL engine.
 */

type Literal = string | number | boolean | null | { readonly dateTime: number } | { readonly date: string };
interface Condition {
  readonly field: string;
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN';
  readonly values: readonly Literal[];
}

/** A parent relationship: `pse__Assignment__r` follows the lookup field `pse__Assignment__c` to a `pse__Assignment__c`. */
export interface ParentRelationship {
  readonly lookupField: string;
  readonly sobject: string;
}

/** A parsed query. */
export interface SoqlQuery {
  readonly fields: readonly string[];
  readonly sobject: string;
  /** The parent relationships the selected fields go through, by relationship name. */
  readonly relationships: Readonly<Record<string, ParentRelationship>>;
  readonly where: readonly Condition[];
  readonly orderBy?: { readonly field: string; readonly descending: boolean };
  readonly limit?: number;
}

/** A query Salesforce would refuse, with its error code. */
export class SoqlError extends Error {
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
    message: string,
  ) {
    super(message);
  }
}

const TOKEN =
  /\s*(?:('(?:[^'\\]|\\.)*')|(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))|(\d{4}-\d{2}-\d{2})|(-?\d+(?:\.\d+)?)|(!=|<=|>=|=|<|>|\(|\)|,)|([A-Za-z_][A-Za-z0-9_.]*))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new SoqlError('MALFORMED_QUERY', `unexpected token at "${text.slice(at, at + 20)}"`);
    tokens.push(m[0].trim());
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function literal(token: string | undefined): Literal {
  if (token === undefined) throw new SoqlError('MALFORMED_QUERY', 'a value is missing');
  if (token.startsWith("'")) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  if (/^\d{4}-\d{2}-\d{2}T/.test(token)) return { dateTime: Date.parse(token) };
  if (/^\d{4}-\d{2}-\d{2}$/.test(token)) return { date: token };
  if (/^-?\d/.test(token)) return Number(token);
  if (/^(true|false)$/i.test(token)) return token.toLowerCase() === 'true';
  if (/^null$/i.test(token)) return null;
  throw new SoqlError('MALFORMED_QUERY', `unexpected value ${token}`);
}

/**
 * Parses a query; `fieldsOf` says which fields an object has (undefined: no such object), and
 * `relationshipsOf` which parent relationships it has, by name.
 */
export function parseSoql(
  text: string,
  fieldsOf: (sobject: string) => readonly string[] | undefined,
  relationshipsOf: (sobject: string) => Readonly<Record<string, ParentRelationship>> | undefined = () => undefined,
): SoqlQuery {
  const t = tokenize(text);
  let i = 0;
  const keyword = (word: string) => t[i]?.toUpperCase() === word && (i++, true);
  const expect = (word: string) => {
    if (!keyword(word)) throw new SoqlError('MALFORMED_QUERY', `expected ${word} near "${t.slice(i, i + 3).join(' ')}"`);
  };
  expect('SELECT');
  const fields: string[] = [];
  do fields.push(t[i++] ?? '');
  while (t[i] === ',' && i++);
  expect('FROM');
  const sobject = t[i++] ?? '';
  const known = fieldsOf(sobject);
  if (!known) throw new SoqlError('INVALID_TYPE', `sObject type '${sobject}' is not supported.`);
  const check = (field: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(field) || /^(WHERE|AND|FROM|ORDER|BY|LIMIT|IN)$/i.test(field))
      throw new SoqlError('MALFORMED_QUERY', `expected a field name, found "${field || '(end)'}"`);
    if (!known.includes(field)) throw new SoqlError('INVALID_FIELD', `No such column '${field}' on entity '${sobject}'.`);
  };
  const relationships: Record<string, ParentRelationship> = {};
  for (const field of fields) {
    const [name, parentField, ...deeper] = field.split('.');
    const relationship = relationshipsOf(sobject)?.[name!];
    if (parentField === undefined || relationship === undefined || deeper.length > 0) {
      check(field);
      continue;
    }
    if (!fieldsOf(relationship.sobject)?.includes(parentField))
      throw new SoqlError('INVALID_FIELD', `No such column '${parentField}' on entity '${relationship.sobject}'.`);
    relationships[name!] = relationship;
  }
  const where: Condition[] = [];
  if (keyword('WHERE')) {
    do {
      const field = t[i++] ?? '';
      check(field);
      if (keyword('IN')) {
        if (t[i++] !== '(') throw new SoqlError('MALFORMED_QUERY', 'IN needs a list in parentheses');
        const values: Literal[] = [];
        do values.push(literal(t[i++]));
        while (t[i] === ',' && i++);
        if (t[i++] !== ')') throw new SoqlError('MALFORMED_QUERY', 'unclosed IN list');
        where.push({ field, op: 'IN', values });
      } else {
        const op = t[i++];
        if (!['=', '!=', '<', '<=', '>', '>='].includes(op ?? '')) throw new SoqlError('MALFORMED_QUERY', `unexpected operator ${op ?? '(end)'}`);
        where.push({ field, op: op as Condition['op'], values: [literal(t[i++])] });
      }
    } while (keyword('AND'));
  }
  let orderBy: SoqlQuery['orderBy'];
  if (keyword('ORDER')) {
    expect('BY');
    const field = t[i++] ?? '';
    check(field);
    const descending = keyword('DESC');
    if (!descending) keyword('ASC');
    orderBy = { field, descending };
  }
  let limit: number | undefined;
  if (keyword('LIMIT')) limit = Number(t[i++]);
  if (i < t.length) throw new SoqlError('MALFORMED_QUERY', `unexpected "${t.slice(i).join(' ')}"`);
  return { fields, sobject, relationships, where, ...(orderBy ? { orderBy } : {}), ...(limit === undefined ? {} : { limit }) };
}

/** Compares a stored value with a literal: datetimes by instant, others by value. */
function compare(stored: unknown, value: Literal): number | undefined {
  if (value === null || stored === null || stored === undefined) return stored === value || (stored === undefined && value === null) ? 0 : undefined;
  if (typeof value === 'object' && 'dateTime' in value) {
    const at = Date.parse(String(stored));
    return Number.isNaN(at) ? undefined : Math.sign(at - value.dateTime);
  }
  const v = typeof value === 'object' ? value.date : value;
  const s = typeof v === 'number' ? Number(stored) : typeof v === 'boolean' ? stored === true || stored === 'true' : String(stored);
  return s < v ? -1 : s > v ? 1 : 0;
}

/**
 * The records a query selects, in its order, with only the selected fields; `parentOf` finds the
 * record a lookup points at, for fields selected through a relationship.
 */
export function runSoql<T extends Record<string, unknown>>(
  query: SoqlQuery,
  records: readonly T[],
  parentOf: (sobject: string, id: string) => Record<string, unknown> | undefined = () => undefined,
): Record<string, unknown>[] {
  const matches = (record: T) =>
    query.where.every((c) => {
      const results = c.values.map((v) => compare(record[c.field], v));
      switch (c.op) {
        case '=':
        case 'IN':
          return results.some((r) => r === 0);
        case '!=':
          return results[0] !== 0;
        case '<':
          return results[0] === -1;
        case '<=':
          return results[0] === -1 || results[0] === 0;
        case '>':
          return results[0] === 1;
        case '>=':
          return results[0] === 1 || results[0] === 0;
      }
    });
  let selected = records.filter(matches);
  if (query.orderBy) {
    const { field, descending } = query.orderBy;
    selected = [...selected].sort(
      (a, b) => (String(a[field] ?? '') < String(b[field] ?? '') ? -1 : String(a[field] ?? '') > String(b[field] ?? '') ? 1 : 0) * (descending ? -1 : 1),
    );
  }
  if (query.limit !== undefined) selected = selected.slice(0, query.limit);
  return selected.map((r) => {
    const row: Record<string, unknown> = {};
    for (const f of query.fields) {
      const [name, parentField] = f.split('.');
      const relationship = parentField === undefined ? undefined : query.relationships[name!];
      if (relationship === undefined) {
        row[f] = r[f] ?? null;
        continue;
      }
      const lookup = r[relationship.lookupField];
      const parent = typeof lookup === 'string' ? parentOf(relationship.sobject, lookup) : undefined;
      const nested = (row[name!] ??= parent ? { attributes: { type: relationship.sobject } } : null) as Record<string, unknown> | null;
      if (nested) nested[parentField!] = parent?.[parentField!] ?? null;
    }
    return row;
  });
}
