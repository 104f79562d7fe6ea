import { describe, expect, it } from 'vitest';
import type { CrmFieldNames, OpportunityWonEvent } from '../../../canonical';
import { handleDealEvent } from '../../../lambdas/hubspot/deal-events';
import type { HubSpotDealSnapshot } from '../../../lambdas/hubspot/hubspot-crm';
import type { QueuedDealEvent } from '../../../lambdas/hubspot/webhook-events';
import { executionName } from '../../../lambdas/opportunity-to-project/execution-name';
import { exampleConfig } from '../../support/example-config';

const settings = exampleConfig().vendorInstances.find((v) => v.id === 'hubspot-main')!.crm!;
const fields: CrmFieldNames = settings.fields;

function snapshot(stage: string, overrides: Record<string, string> = {}): HubSpotDealSnapshot {
  return {
    deal: {
      id: '18274650231',
      properties: {
        dealname: 'Globex rollout',
        dealstage: stage,
        amount: '125000.00',
        deal_currency_code: 'USD',
        closedate: '2026-11-02T14:00:00.000Z',
        hs_lastmodifieddate: '2026-11-02T14:05:09.120Z',
        ps_contract_start: '2026-11-16',
        [fields.legalEntity]: 'acme-us',
        [fields.businessUnit]: 'delivery',
        [fields.taxProfile]: 'US-OR-EXEMPT',
        [fields.billingTerms]: 'time-and-materials',
        [fields.paymentTerms]: 'NET30',
        ...overrides,
      },
    },
    company: { id: '9152003311', properties: { name: 'Globex Corporation', country: 'US', city: 'Cypress Creek', domain: 'globex.example' } },
    lineItems: [
      { id: 'l1', properties: { name: 'Consultant', price: '165.50', ps_line_type: 'rate', ps_effective_from: '2026-11-01' } },
      { id: 'l2', properties: { name: 'Design signed off', price: '12500', quantity: '2', ps_line_type: 'milestone' } },
      { id: 'l3', properties: { name: 'Discovery', ps_line_type: 'task', ps_estimated_hours: '80' } },
    ],
  };
}

function queued(propertyName = 'dealstage'): QueuedDealEvent {
  return {
    instance: 'hubspot-main',
    dedupKey: 'k',
    correlationId: 'corr-7',
    receivedAt: '2026-11-02T14:05:10Z',
    event: {
      eventId: 1,
      subscriptionId: 2,
      portalId: 3,
      occurredAt: 1,
      subscriptionType: 'deal.propertyChange',
      attemptNumber: 0,
      objectId: 18274650231,
      propertyName,
      propertyValue: 'closedwon',
    },
  };
}

async function run(snap: HubSpotDealSnapshot, event = queued()) {
  const published: OpportunityWonEvent[] = [];
  const reads: string[] = [];
  const outcome = await handleDealEvent(event, {
    settingsOf: () => settings,
    readDeal: async (_i, id) => (reads.push(id), snap),
    publish: async (e) => void published.push(e),
    now: () => new Date('2026-11-02T14:05:11Z'),
  });
  return { outcome, published, reads };
}

describe('handleDealEvent', () => {
  it('re-reads the deal and publishes a valid opportunity.won with contract lines from the line items', async () => {
    const { outcome, published, reads } = await run(snapshot('closedwon'));

    expect(outcome).toBe('published');
    expect(reads).toEqual(['18274650231']);
    expect(published[0]).toMatchObject({
      type: 'opportunity.won',
      correlationId: 'corr-7',
      sourceVersion: String(Date.parse('2026-11-02T14:05:09.120Z')),
      payload: {
        opportunity: { crmId: '18274650231', amount: { amountMinor: 12500000, currency: 'USD' }, closeDate: '2026-11-02', revision: 1 },
        account: { crmId: '9152003311', name: 'Globex Corporation', billingAddress: { country: 'US', city: 'Cypress Creek' } },
        legalEntityId: 'acme-us',
        contract: {
          billingTerms: { model: 'time-and-materials', paymentTermsCode: 'NET30' },
          rateCard: [{ role: 'Consultant', hourlyRate: '165.50', effectiveFrom: '2026-11-01' }],
          milestones: [{ name: 'Design signed off', amount: { amountMinor: 2500000, currency: 'USD' } }],
          tasks: [{ name: 'Discovery', billable: true, estimatedHours: '80' }],
        },
      },
    });
  });

  it('carries a retainer line as the amount billed each period', async () => {
    const snap = snapshot('closedwon', { [fields.billingTerms]: 'retainer' });
    const { published } = await run({
      ...snap,
      lineItems: [...snap.lineItems, { id: 'l4', properties: { name: 'Monthly advisory retainer', price: '8000.00', ps_line_type: 'retainer' } }],
    });

    expect(published[0]!.payload.contract.billingTerms).toEqual({
      model: 'retainer',
      paymentTermsCode: 'NET30',
      expenseMarkupPercent: '0',
      retainerPerPeriod: { amountMinor: 800000, currency: 'USD' },
    });
  });

  it('judges the deal as it is now: a stale "closedwon" webhook for a deal since reopened publishes nothing', async () => {
    expect((await run(snapshot('contractsent'))).outcome).toBe('not-won');
  });

  it('uses the won stage ids configured for the portal', async () => {
    expect((await run(snapshot('1067934'))).outcome).toBe('published');
  });

  it('treats generic object.propertyChange and object.creation events of a deal (0-3) as the legacy deal events', async () => {
    const generic = (subscriptionType: string, propertyName?: string): QueuedDealEvent => {
      const { propertyName: _p, propertyValue: _v, ...event } = queued().event;
      return { ...queued(), event: { ...event, subscriptionType, objectTypeId: '0-3', ...(propertyName ? { propertyName, propertyValue: 'x' } : {}) } };
    };

    const won = await run(snapshot('closedwon'), generic('object.propertyChange', 'dealstage'));
    const created = await run(snapshot('closedwon'), generic('object.creation'));
    const other = await run(snapshot('closedwon'), generic('object.propertyChange', 'hs_next_step'));

    expect([won.outcome, created.outcome, other.outcome]).toEqual(['published', 'published', 'irrelevant']);
    expect(won.published[0]!.id).toBe((await run(snapshot('closedwon'))).published[0]!.id);
    expect(other.reads).toEqual([]);
  });

  it('ignores changes to other properties without reading the deal', async () => {
    const { outcome, reads } = await run(snapshot('closedwon'), queued('hs_next_step'));

    expect(outcome).toBe('irrelevant');
    expect(reads).toEqual([]);
  });

  it('gives the same event id for duplicates and a new one, and a new execution name, for a bumped revision', async () => {
    const a = (await run(snapshot('closedwon'))).published[0]!;
    const b = (await run(snapshot('closedwon'))).published[0]!;
    const c = (await run(snapshot('closedwon', { [fields.syncRevision]: '2' }), queued(fields.syncRevision))).published[0]!;

    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect([executionName(a), executionName(c)]).toEqual(['hubspot-main-18274650231-r1', 'hubspot-main-18274650231-r2']);
  });
});
