import { describe, expect, it } from 'vitest';
import { needsRenewal, receiveBusinessCentral } from '../../../lambdas/business-central/notification-intake';

const note = (clientState: string, changeType = 'updated') => ({
  subscriptionId: 'sub-1',
  clientState,
  resource: "api/v2.0/companies(1)/salesInvoices(42)",
  changeType,
  lastModifiedDateTime: '2026-11-24T10:00:00Z',
});

describe('receiveBusinessCentral', () => {
  it('answers the validation handshake with the token as plain text and 200', () => {
    const result = receiveBusinessCentral({ query: { validationToken: 'abc-123' }, body: null }, ['s3cret']);

    expect(result).toEqual({ kind: 'handshake', response: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'abc-123' } });
  });

  it('accepts notifications with our clientState, including a collection notification', () => {
    const result = receiveBusinessCentral({ query: {}, body: JSON.stringify({ value: [note('s3cret'), note('s3cret', 'collection')] }) }, ['old', 's3cret']);

    expect(result.kind === 'notifications' && result.accepted.map((n) => n.changeType)).toEqual(['updated', 'collection']);
  });

  it('answers 200 to a wrong clientState, accepts nothing from it and reports why, so BC keeps the subscription', () => {
    const result = receiveBusinessCentral({ query: {}, body: JSON.stringify({ value: [note('forged'), note('s3cret')] }) }, ['s3cret']);

    expect(result.kind).toBe('notifications');
    expect(result.response.statusCode).toBe(200);
    expect(result.kind === 'notifications' && result.accepted).toHaveLength(1);
    expect(result.kind === 'notifications' && result.rejected).toEqual([{ reason: 'notification 0 has a clientState that is not ours', resource: note('x').resource }]);
  });

  it('answers 200 to a malformed body and records the rejection', () => {
    const result = receiveBusinessCentral({ query: {}, body: '{"value": [' }, ['s3cret']);

    expect(result.response.statusCode).toBe(200);
    expect(result.kind === 'notifications' && result.rejected[0]?.reason).toMatch(/not JSON/);
  });
});

describe('needsRenewal', () => {
  it('renews within a day of the three-day expiry, not before', () => {
    const now = new Date('2026-11-24T00:00:00Z');

    expect(needsRenewal(new Date('2026-11-26T00:00:00Z'), now)).toBe(false);
    expect(needsRenewal(new Date('2026-11-25T00:00:00Z'), now)).toBe(true);
  });
});
