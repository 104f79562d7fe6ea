import { EventBridgeClient, PutEventsCommand, PutPartnerEventsCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusEvent, busEventJson, startEventBus } from '../../../local/aws/event-bus';

type Stand = Awaited<ReturnType<typeof startEventBus>>;
const running: Stand[] = [];
afterEach(async () => Promise.all(running.splice(0).map((s) => s.close())));

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function bus(deliver: (event: BusEvent) => Promise<void>, deadLetters: { event: BusEvent; reason: string }[] = []) {
  const stand = await startEventBus({
    region: 'eu-west-1',
    eventBusNames: ['canonical'],
    retryDelayMs: 1,
    archives: [{ name: 'canonical-archive', eventBusName: 'canonical', eventPattern: { account: ['000000000000'] } }],
    rules: [
      {
        name: 'opportunity-won',
        eventBusName: 'canonical',
        eventPattern: { 'detail-type': ['opportunity.won'] },
        targets: [{ id: 'starts', deliver, retryAttempts: 2, deadLetter: async (event, reason) => void deadLetters.push({ event, reason }) }],
      },
    ],
  });
  running.push(stand);
  return { stand, client: new EventBridgeClient({ endpoint: stand.url, region: 'eu-west-1', credentials }) };
}

describe('the EventBridge stand-in', () => {
  it('delivers a matching event to the rule target in the EventBridge envelope, and nothing else', async () => {
    const delivered: BusEvent[] = [];
    const { stand, client } = await bus(async (e) => void delivered.push(e));

    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'canonical', Source: 'ps-sync.hubspot', DetailType: 'opportunity.won', Detail: '{"id":"e1"}' },
          { EventBusName: 'canonical', Source: 'ps-sync.hubspot', DetailType: 'account.changed', Detail: '{"id":"e2"}' },
        ],
      }),
    );
    await stand.settled();

    expect(result.FailedEntryCount).toBe(0);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      version: '0',
      source: 'ps-sync.hubspot',
      'detail-type': 'opportunity.won',
      region: 'eu-west-1',
      detail: { id: 'e1' },
    });
  });

  it('retries a failing delivery as the retry policy says, then hands the event to the dead-letter queue with the reason', async () => {
    let attempts = 0;
    const deadLetters: { event: BusEvent; reason: string }[] = [];
    const { stand, client } = await bus(async () => {
      attempts += 1;
      throw new Error('queue unavailable');
    }, deadLetters);

    await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'canonical', Source: 's', DetailType: 'opportunity.won', Detail: '{}' }] }));
    await stand.settled();

    expect(attempts).toBe(3);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.reason).toContain('queue unavailable');
  });

  it('reports a malformed entry as failed and routes none of it', async () => {
    const delivered: BusEvent[] = [];
    const { stand, client } = await bus(async (e) => void delivered.push(e));

    const result = await client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: 'canonical', Source: 's', DetailType: 'opportunity.won', Detail: 'not json' }] }),
    );
    await stand.settled();

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.ErrorCode).toBe('MalformedDetail');
    expect(delivered).toHaveLength(0);
  });

  it('replays archived events with their original id and a replay-name', async () => {
    const delivered: BusEvent[] = [];
    const { stand, client } = await bus(async (e) => void delivered.push(e));
    await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'canonical', Source: 's', DetailType: 'opportunity.won', Detail: '{}' }] }));
    await stand.settled();

    const now = new Date();
    await client.send(
      new StartReplayCommand({
        ReplayName: 'after-fix',
        EventSourceArn: 'arn:aws:events:eu-west-1:000000000000:archive/canonical-archive',
        EventStartTime: new Date(now.getTime() - 60_000),
        EventEndTime: new Date(now.getTime() + 60_000),
        Destination: { Arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/canonical' },
      }),
    );
    await stand.settled();

    expect(delivered).toHaveLength(2);
    expect(delivered[1]?.id).toBe(delivered[0]?.id);
    expect(delivered[1]?.['replay-name']).toBe('after-fix');
  });

  it('puts a partner’s events on the partner event bus named after its source, keeping the detail text exact for targets', async () => {
    const source = 'aws.partner/salesforce.com/00D000000000001/0YL000000000001';
    const delivered: string[] = [];
    const stand = await startEventBus({
      region: 'eu-west-1',
      eventBusNames: ['canonical', source],
      rules: [
        {
          name: 'relay',
          eventBusName: source,
          eventPattern: { 'detail-type': ['OpportunityChangeEvent'] },
          targets: [{ id: 'q', deliver: async (e) => void delivered.push(busEventJson(e)) }],
        },
      ],
    });
    running.push(stand);
    const client = new EventBridgeClient({ endpoint: stand.url, region: 'eu-west-1', credentials });
    const detail = '{"payload":{"ChangeEventHeader":{"commitNumber":10732871200012345678}}}';

    const put = await client.send(new PutPartnerEventsCommand({ Entries: [{ Source: source, DetailType: 'OpportunityChangeEvent', Detail: detail }] }));
    const unknown = client.send(
      new PutPartnerEventsCommand({ Entries: [{ Source: 'aws.partner/salesforce.com/00D9/0YL9', DetailType: 'OpportunityChangeEvent', Detail: '{}' }] }),
    );
    await stand.settled();

    expect(put.FailedEntryCount).toBe(0);
    await expect(unknown).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toContain('"commitNumber":10732871200012345678');
    expect(JSON.parse(delivered[0]!)).toMatchObject({ source, 'detail-type': 'OpportunityChangeEvent' });
  });
});
