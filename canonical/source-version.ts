/**
 * A source's comparable version of a record: a non-negative integer written in decimal digits
 * (Salesforce commitNumber, HubSpot occurredAt millis, Kantata updated_at as epoch millis, converted
 * by the adapter). Salesforce's commitNumber exceeds 2^53, so versions are never JavaScript numbers:
 * they are strings compared as BigInt, and stored as DynamoDB Numbers (38 digits, compared exactly).
 */

const VERSION = /^(0|[1-9]\d{0,37})$/;

/** True for a valid version string: up to 38 digits, no sign, no leading zeros. */
export function isSourceVersion(value: unknown): value is string {
  return typeof value === 'string' && VERSION.test(value);
}

/**
 * Validates a version string.
 * @throws RangeError naming the bad value.
 */
export function sourceVersion(value: string): string {
  if (!isSourceVersion(value))
    throw new RangeError(`${JSON.stringify(value)} is not a source version (a non-negative integer of at most 38 digits, as a string)`);
  return value;
}

/** Compares two versions exactly: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(sourceVersion(a));
  const y = BigInt(sourceVersion(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * True when `candidate` is strictly newer than `stored`; any valid version is newer than nothing.
 * A replay of the stored version is not newer.
 * @throws RangeError when either is not a source version.
 */
export function isNewer(candidate: string, stored: string | undefined): boolean {
  if (stored !== undefined) return compareVersions(candidate, stored) > 0;
  sourceVersion(candidate);
  return true;
}
