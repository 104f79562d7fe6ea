import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OpportunityWonEvent, parseCanonicalEvent } from '../../canonical';

/** The v1 opportunity.won fixture, parsed, with optional changes to its payload. */
export function wonDeal(change: (payload: Record<string, unknown> & OpportunityWonEvent['payload']) => void = () => undefined): OpportunityWonEvent {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', '..', 'canonical', 'fixtures', 'v1', 'opportunity.won.json'), 'utf8')) as {
    payload: OpportunityWonEvent['payload'] & Record<string, unknown>;
  };
  change(raw.payload);
  return parseCanonicalEvent(raw) as OpportunityWonEvent;
}
