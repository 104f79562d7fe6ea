import type { CrmFieldNames, OpportunityWonEvent } from '../../canonical';
import { amountOf, dealContract } from '../common/deal-contract';
import { deterministicUuid } from '../common/deterministic-id';
import type { HubSpotDealSnapshot, HubSpotObject } from './hubspot-crm';

type Payload = OpportunityWonEvent['payload'];

const text = (o: HubSpotObject | undefined, name: string): string | undefined => {
  const value = o?.properties[name];
  return value === null || value === undefined || value.trim() === '' ? undefined : value.trim();
};
const date = (value: string | undefined): string | undefined => (value ? value.slice(0, 10) : undefined);

/**
 * Maps a HubSpot deal snapshot to the canonical `opportunity.won` payload. It copies what the deal
 * says without judging it. Line items carry the contract (`ps_line_type`; see `dealContract`).
 */
export function opportunityWonPayload(snapshot: HubSpotDealSnapshot, fields: CrmFieldNames): Payload {
  const { deal, company, lineItems } = snapshot;
  const currency = text(deal, 'deal_currency_code');
  const revision = Number.parseInt(text(deal, fields.syncRevision) ?? '1', 10);
  const dealAmount = amountOf(text(deal, 'amount'), currency);
  const closeDate = date(text(deal, 'closedate'));
  const legalEntityId = text(deal, fields.legalEntity);
  const businessUnit = text(deal, fields.businessUnit);
  const taxProfileCode = text(deal, fields.taxProfile);
  const country = text(company, 'country');

  return {
    opportunity: {
      crmId: deal.id,
      name: text(deal, 'dealname') ?? `Deal ${deal.id}`,
      stage: text(deal, 'dealstage') ?? 'unknown',
      ...(dealAmount ? { amount: dealAmount } : {}),
      ...(closeDate ? { closeDate } : {}),
      revision: Number.isSafeInteger(revision) && revision > 0 ? revision : 1,
    },
    account: {
      crmId: company?.id ?? `deal-${deal.id}`,
      name: text(company, 'name') ?? text(deal, 'dealname') ?? `Deal ${deal.id}`,
      ...(country && /^[A-Z]{2}$/.test(country)
        ? {
            billingAddress: {
              country,
              ...(text(company, 'address') ? { street: text(company, 'address')! } : {}),
              ...(text(company, 'city') ? { city: text(company, 'city')! } : {}),
              ...(text(company, 'state') ? { region: text(company, 'state')! } : {}),
              ...(text(company, 'zip') ? { postalCode: text(company, 'zip')! } : {}),
            },
          }
        : {}),
      ...(text(company, 'domain') ? { website: text(company, 'domain')! } : {}),
    },
    ...(legalEntityId ? { legalEntityId } : {}),
    ...(businessUnit ? { businessUnit } : {}),
    ...(currency ? { currency } : {}),
    ...(taxProfileCode ? { taxProfileCode } : {}),
    contract: dealContract(
      {
        currency,
        billingModel: text(deal, fields.billingTerms),
        paymentTerms: text(deal, fields.paymentTerms),
        notToExceed: text(deal, 'ps_not_to_exceed'),
        expenseMarkup: text(deal, 'ps_expense_markup'),
        start: text(deal, 'ps_contract_start'),
        end: text(deal, 'ps_contract_end'),
      },
      lineItems.map((l) => ({
        type: text(l, 'ps_line_type'),
        name: text(l, 'name'),
        price: text(l, 'price'),
        quantity: text(l, 'quantity'),
        effectiveFrom: text(l, 'ps_effective_from'),
        effectiveTo: text(l, 'ps_effective_to'),
        dueDate: text(l, 'ps_due_date'),
        billable: text(l, 'ps_billable'),
        estimatedHours: text(l, 'ps_estimated_hours'),
      })),
    ),
  };
}

/** The canonical event; its id is stable per deal and revision, so duplicates and replays collapse. */
export function opportunityWonEvent(
  instance: string,
  snapshot: HubSpotDealSnapshot,
  fields: CrmFieldNames,
  correlationId: string,
  now: Date,
): OpportunityWonEvent {
  const payload = opportunityWonPayload(snapshot, fields);
  const modified = Date.parse(text(snapshot.deal, 'hs_lastmodifieddate') ?? '');
  return {
    id: deterministicUuid('opportunity.won', `hubspot:${instance}:${snapshot.deal.id}:r${payload.opportunity.revision}`),
    type: 'opportunity.won',
    schemaVersion: 1,
    source: { vendor: 'hubspot', instance },
    occurredAt: now.toISOString(),
    correlationId,
    ...(payload.legalEntityId ? { legalEntityId: payload.legalEntityId } : {}),
    ...(Number.isFinite(modified) ? { sourceVersion: String(modified) } : {}),
    payload,
  };
}
