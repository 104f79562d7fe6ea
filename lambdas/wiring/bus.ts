import type { CanonicalEvent } from '../../canonical';
import { publishCanonical } from '../common/canonical-bus';
import type { Container } from './container';

/** Puts canonical events on the region's bus, all or nothing (the function must declare the bus). */
export function canonicalPublisher(c: Container): (source: string, events: readonly CanonicalEvent[]) => Promise<void> {
  const busName = c.env.eventBusName();
  return (source, events) => publishCanonical(busName, source, events);
}
