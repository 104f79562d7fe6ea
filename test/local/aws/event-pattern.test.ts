import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../../local/aws/event-pattern';

const event = {
  source: 'ps-sync.hubspot',
  'detail-type': 'opportunity.won',
  account: '000000000000',
  detail: { schemaVersion: '1', source: { vendor: 'hubspot', instance: 'hubspot-main' }, payload: { amountMinor: 1200000, tags: ['a', 'b'] } },
};

describe('matchesEventPattern', () => {
  it('matches exact values, any of several, and nested fields', () => {
    expect(matchesEventPattern({ 'detail-type': ['opportunity.won'], detail: { source: { vendor: ['hubspot', 'salesforce'] } } }, event)).toBe(true);
    expect(matchesEventPattern({ 'detail-type': ['project.activated'] }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { source: { vendor: ['salesforce'] } } }, event)).toBe(false);
  });

  it('matches an event array field when any element matches', () => {
    expect(matchesEventPattern({ detail: { payload: { tags: ['b'] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { payload: { tags: ['c'] } } }, event)).toBe(false);
  });

  it('supports prefix, anything-but, exists and numeric ranges', () => {
    expect(matchesEventPattern({ source: [{ prefix: 'ps-sync.' }] }, event)).toBe(true);
    expect(matchesEventPattern({ source: [{ 'anything-but': ['ps-sync.hubspot'] }] }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { 'replay-name': [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { payload: { amountMinor: [{ numeric: ['>', 1000000, '<=', 1200000] }] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { payload: { amountMinor: [{ numeric: ['<', 100] }] } } }, event)).toBe(false);
  });

  it('refuses an operator it does not implement rather than guessing', () => {
    expect(() => matchesEventPattern({ source: [{ wildcard: 'ps-*' }] }, event)).toThrow(/Unsupported event pattern operator wildcard/);
  });
});
