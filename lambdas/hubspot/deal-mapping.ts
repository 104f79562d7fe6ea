import Decimal from 'decimal.js';
import { type CrmFieldNames, CurrencyCode, DecimalString, type Money, type OpportunityWonEvent, money } from '../../canonical';
import { deterministicUuid } from '../shared/deterministic-id';
import type { HubSpotDealSnapshot, HubSpotObject } from './hubspot-crm';

type Payload = OpportunityWonEvent['payload'];

const text = (o: HubSpotObject | undefined, name: string): string | undefined => {
  const value = o?.properties[name];
  return value === null || value === undefined || value.trim() === '' ? undefined : value.trim();
};
const date = (value: string | undefined): string | undefined => (value ? value.slice(0, 10) : undefined);
const decimalOf = (value: string | undefined): string | undefined => (value !== undefined && DecimalString.safeParse(value).success ? value : undefined);

function amount(value: string | undefined, currency: string | undefined, quantity = '1'): Money | undefined {
  const parsed = CurrencyCode.safeParse(currency);
  const price = decimalOf(value);
  if (!parsed.success || price === undefined) return undefined;
  return money(new Decimal(price).times(decimalOf(quantity) ?? '1'), parsed.data);
}

/**
 * Maps a HubSpot deal snapshot to the canonical `opportunity.won` payload. It copies what the deal
 * says without judging it: validation in the workflow decides whether it suffices, and says why not.
 * Line items carry the contract: `ps_line_type` = `rate` (name = role, price = hourly rate),
 * `milestone` (price × quantity = amount) or `task`.
 */
export function opportunityWonPayload(snapshot: HubSpotDealSnapshot, fields: CrmFieldNames): Payload {
  const { deal, company, lineItems } = snapshot;
  const currency = text(deal, 'deal_currency_code');
  const ofType = (type: string) => lineItems.filter((l) => text(l, 'ps_line_type') === type);
  const contractStart = date(text(deal, 'ps_contract_start'));
  const revision = Number.parseInt(text(deal, fields.syncRevision) ?? '1', 10);
  const billingModel = text(deal, fields.billingTerms);
  const paymentTerms = text(deal, fields.paymentTerms);
  const notToExceed = amount(text(deal, 'ps_not_to_exceed'), currency);
  const markup = decimalOf(text(deal, 'ps_expense_markup'));
  const dealAmount = amount(text(deal, 'amount'), currency);
  const closeDate = date(text(deal, 'closedate'));
  const contractEnd = date(text(deal, 'ps_contract_end'));
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
    contract: {
      billingTerms: {
        ...(billingModel === 'time-and-materials' || billingModel === 'fixed-fee' || billingModel === 'retainer' ? { model: billingModel } : {}),
        ...(paymentTerms ? { paymentTermsCode: paymentTerms } : {}),
        ...(notToExceed ? { notToExceed } : {}),
        ...(markup ? { expenseMarkupPercent: markup } : {}),
      },
      ...(contractStart ? { startDate: contractStart } : {}),
      ...(contractEnd ? { endDate: contractEnd } : {}),
      rateCard: ofType('rate').flatMap((l) => {
        const rate = decimalOf(text(l, 'price'));
        const from = date(text(l, 'ps_effective_from')) ?? contractStart;
        const to = date(text(l, 'ps_effective_to'));
        return rate && from && text(l, 'name') ? [{ role: text(l, 'name')!, hourlyRate: rate, effectiveFrom: from, ...(to ? { effectiveTo: to } : {}) }] : [];
      }),
      milestones: ofType('milestone').flatMap((l) => {
        const value = amount(text(l, 'price'), currency, text(l, 'quantity'));
        const due = date(text(l, 'ps_due_date'));
        return value && text(l, 'name') ? [{ name: text(l, 'name')!, amount: value, ...(due ? { dueDate: due } : {}) }] : [];
      }),
      tasks: ofType('task').flatMap((l) => {
        const hours = decimalOf(text(l, 'ps_estimated_hours'));
        return text(l, 'name') ? [{ name: text(l, 'name')!, billable: text(l, 'ps_billable') !== 'false', ...(hours ? { estimatedHours: hours } : {}) }] : [];
      }),
    },
  };
}

/** The canonical event; its id is stable per deal and revision, so duplicates and replays collapse. */
export function opportunityWonEvent(instance: string, snapshot: HubSpotDealSnapshot, fields: CrmFieldNames, correlationId: string, now: Date): OpportunityWonEvent {
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
