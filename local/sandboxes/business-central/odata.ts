import type { SandboxResponse } from '../sandbox-kit';
import { bcError } from './wire';

/**
 * The slice of OData v4 that Business Central's API v2.0 speaks and this sandbox understands: resource
 * paths with keys in parentheses, entity types with their documented properties (a body naming any
 * other property is refused, as OData does), BC's Code fields (upper-cased, with a maximum length),
 * and `$filter` comparisons joined by `and`.
 */

/** How a property is typed. `code` is BC's Code[n]: text that BC upper-cases on the way in. */
export type PropertyKind = 'text' | 'code' | 'decimal' | 'date' | 'datetime' | 'guid' | 'boolean';

/** One property of an entity type. */
export interface Property {
  readonly kind: PropertyKind;
  readonly maxLength?: number;
  readonly readOnly?: boolean;
}

/** An entity type: its name in BC's metadata (`Microsoft.NAV.<name>`) and its documented properties. */
export interface EntityType {
  readonly name: string;
  readonly properties: Readonly<Record<string, Property>>;
}

export const text = (maxLength?: number): Property => (maxLength === undefined ? { kind: 'text' } : { kind: 'text', maxLength });
export const code = (maxLength: number): Property => ({ kind: 'code', maxLength });
export const of = (kind: PropertyKind): Property => ({ kind });
export const readOnly = (property: Property): Property => ({ ...property, readOnly: true });

const EDM: Record<PropertyKind, string> = {
  text: 'Edm.String',
  code: 'Edm.String',
  decimal: 'Edm.Decimal',
  date: 'Edm.Date',
  datetime: 'Edm.DateTimeOffset',
  guid: 'Edm.Guid',
  boolean: 'Edm.Boolean',
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether a string is a GUID as BC writes ids. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A resource path below the API root: `companies(<id>)/salesInvoices` has shape `companies()/salesInvoices` and keys `[<id>]`. */
export interface ODataPath {
  readonly shape: string;
  readonly keys: readonly string[];
}

/** Parses a resource path; undefined when a segment is not `name` or `name(key)`. Keys in quotes (`subscriptions('<id>')`) are unquoted. */
export function parseODataPath(path: string): ODataPath | undefined {
  const names: string[] = [];
  const keys: string[] = [];
  for (const raw of path.split('/').filter(Boolean)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    const match = /^([A-Za-z][\w.]*)(?:\((.*)\))?$/.exec(segment);
    if (!match) return undefined;
    names.push(match[2] === undefined ? match[1]! : `${match[1]}()`);
    if (match[2] !== undefined) keys.push(/^'(.*)'$/.exec(match[2])?.[1]?.replace(/''/g, "'") ?? match[2]);
  }
  return { shape: names.join('/'), keys };
}

/** The default of a property BC always returns, for records that never set it. */
function defaultOf(kind: PropertyKind): unknown {
  if (kind === 'decimal') return 0;
  if (kind === 'boolean') return false;
  if (kind === 'guid') return '00000000-0000-0000-0000-000000000000';
  return kind === 'date' ? '0001-01-01' : '';
}

/** Every writable property of a type at its default: BC answers with all of an entity's properties, set or not. */
export function defaults(type: EntityType): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(type.properties)
      .filter(([, p]) => !p.readOnly)
      .map(([name, p]) => [name, defaultOf(p.kind)]),
  );
}

/**
 * Checks a request body against an entity type and returns its writable properties, Code values
 * upper-cased. A property the type lacks is refused (OData), a value of the wrong type too, and a
 * value longer than its field with BC's `Application_StringExceededLength`. Read-only properties and
 * `@odata` annotations are ignored; `navigation` names the properties the caller deep-inserts itself.
 */
export function writableFields(
  body: unknown,
  type: EntityType,
  navigation: readonly string[] = [],
): { ok: true; fields: Record<string, unknown> } | { ok: false; response: SandboxResponse } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, response: bcError(400, 'BadRequest', 'Invalid Request Body') };
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('@') || navigation.includes(name)) continue;
    const property = type.properties[name];
    if (!property) {
      return {
        ok: false,
        response: bcError(
          400,
          'BadRequest',
          `The property '${name}' does not exist on type 'Microsoft.NAV.${type.name}'. Make sure to only use property names that are defined by the type.`,
        ),
      };
    }
    if (property.readOnly) continue;
    const valid =
      property.kind === 'decimal'
        ? typeof value === 'number' && Number.isFinite(value)
        : property.kind === 'boolean'
          ? typeof value === 'boolean'
          : property.kind === 'guid'
            ? typeof value === 'string' && GUID.test(value)
            : property.kind === 'date'
              ? typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value))
              : typeof value === 'string';
    if (!valid)
      return { ok: false, response: bcError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type '${EDM[property.kind]}'.`) };
    if (typeof value === 'string' && property.maxLength !== undefined && value.length > property.maxLength) {
      return {
        ok: false,
        response: bcError(
          400,
          'Application_StringExceededLength',
          `The length of the string is ${value.length}, but it must be less than or equal to ${property.maxLength} characters. Value: ${value}`,
        ),
      };
    }
    fields[name] = property.kind === 'code' ? (value as string).toUpperCase() : property.kind === 'guid' ? (value as string).toLowerCase() : value;
  }
  return { ok: true, fields };
}

type Operator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type Literal = { kind: 'string' | 'bare'; value: string } | { kind: 'number'; value: number } | { kind: 'boolean'; value: boolean } | { kind: 'null' };

/** A parsed `$filter`, applied to an entity as the API returns it. */
export type ODataFilter = (entity: Readonly<Record<string, unknown>>) => boolean;

function literalOf(token: string): Literal {
  if (token.startsWith("'")) return { kind: 'string', value: token.slice(1, -1).replace(/''/g, "'") };
  if (token === 'null') return { kind: 'null' };
  if (token === 'true' || token === 'false') return { kind: 'boolean', value: token === 'true' };
  if (/^-?\d+(\.\d+)?$/.test(token)) return { kind: 'number', value: Number(token) };
  return { kind: 'bare', value: token };
}

/** Whether a literal can be compared with a property: OData refuses incompatible operand types. */
function compatible(kind: PropertyKind, literal: Literal): boolean {
  if (literal.kind === 'null') return true;
  if (kind === 'text' || kind === 'code') return literal.kind === 'string';
  if (kind === 'decimal') return literal.kind === 'number';
  if (kind === 'boolean') return literal.kind === 'boolean';
  if (kind === 'guid') return literal.kind === 'bare' && GUID.test(literal.value);
  if (kind === 'date') return literal.kind === 'bare' && DATE.test(literal.value);
  return literal.kind === 'bare' && DATETIME.test(literal.value);
}

/** -1, 0 or 1 as a value orders against a literal; Code and GUID comparisons ignore case, as BC's do. */
function order(kind: PropertyKind, value: unknown, literal: Exclude<Literal, { kind: 'null' }>): number {
  if (kind === 'decimal') return Math.sign(Number(value) - (literal.value as number));
  if (kind === 'boolean') return value === literal.value ? 0 : 1;
  if (kind === 'date' || kind === 'datetime') return Math.sign(Date.parse(String(value)) - Date.parse(String(literal.value)));
  const fold = kind === 'code' || kind === 'guid';
  const a = fold ? String(value).toUpperCase() : String(value);
  const b = fold ? String(literal.value).toUpperCase() : String(literal.value);
  return a < b ? -1 : a > b ? 1 : 0;
}

const OUTCOME: Record<Operator, (o: number) => boolean> = {
  eq: (o) => o === 0,
  ne: (o) => o !== 0,
  gt: (o) => o > 0,
  ge: (o) => o >= 0,
  lt: (o) => o < 0,
  le: (o) => o <= 0,
};

/**
 * Parses `$filter`: comparisons `<property> <eq|ne|gt|ge|lt|le> <literal>` joined by `and`, with
 * strings in single quotes and GUIDs, dates and times bare (`lastModifiedDateTime ge 2026-11-24T10:00:00Z`).
 * Anything else (`or`, functions, parentheses) is refused with a message saying so.
 */
export function parseFilter(expression: string, type: EntityType): { ok: true; filter: ODataFilter } | { ok: false; response: SandboxResponse } {
  const clause = /\s*([A-Za-z]\w*)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|[^\s'()]+)\s*/y;
  const and = /and\s+/y;
  const refuse = (message: string) => ({ ok: false as const, response: bcError(400, 'BadRequest_NotFound', message) });
  const tests: ODataFilter[] = [];
  let at = 0;
  for (;;) {
    clause.lastIndex = at;
    const match = clause.exec(expression);
    if (!match)
      return refuse(
        `Bad Request - Error in query syntax: the sandbox understands '<property> <eq|ne|gt|ge|lt|le> <literal>' joined by 'and', not '${expression}'.`,
      );
    const [, name, operator, token] = match as unknown as [string, string, Operator, string];
    const property = type.properties[name];
    if (!property) return refuse(`Could not find a property named '${name}' on type 'Microsoft.NAV.${type.name}'.`);
    const literal = literalOf(token);
    if (!compatible(property.kind, literal))
      return refuse(
        `A binary operator with incompatible types was detected. Found operand types '${EDM[property.kind]}' and '${token}' for operator kind '${operator}'.`,
      );
    tests.push((entity) => {
      const value = entity[name];
      if (literal.kind === 'null')
        return operator === 'eq' ? value === null || value === undefined : operator === 'ne' ? value !== null && value !== undefined : false;
      return value !== null && value !== undefined && OUTCOME[operator](order(property.kind, value, literal));
    });
    at = clause.lastIndex;
    if (at >= expression.length) break;
    and.lastIndex = at;
    if (!and.exec(expression))
      return refuse(`Bad Request - Error in query syntax: the sandbox understands comparisons joined by 'and', not '${expression.slice(at)}'.`);
    at = and.lastIndex;
  }
  return { ok: true, filter: (entity) => tests.every((t) => t(entity)) };
}
