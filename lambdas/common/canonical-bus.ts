import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { CanonicalEvent } from '../../canonical';
import { events } from './clients/eventbridge';

/**
 * Puts canonical events on the region's bus, ten per call (PutEvents' limit), the type as
 * `detail-type`. Throws unless every event was accepted, so a caller moves a checkpoint or answers
 * success only for what is on the bus.
 */
export async function publishCanonical(busName: string, source: string, canonical: readonly CanonicalEvent[]): Promise<void> {
  for (let start = 0; start < canonical.length; start += 10) {
    const batch = canonical.slice(start, start + 10);
    const result = await events().send(
      new PutEventsCommand({ Entries: batch.map((e) => ({ EventBusName: busName, Source: source, DetailType: e.type, Detail: JSON.stringify(e) })) }),
    );
    if (result.FailedEntryCount) {
      throw new Error(
        `EventBridge refused ${result.FailedEntryCount} of ${batch.length} events (${result.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'unknown'})`,
      );
    }
  }
}
