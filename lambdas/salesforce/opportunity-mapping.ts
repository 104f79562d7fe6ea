import type { CrmFieldNames, OpportunityWonEvent } from '../../canonical';
import { amountOf, dealContract, isoDate } from '../common/deal-contract';
import { deterministicUuid } from '../common/deterministic-id';

type Payload = OpportunityWonEvent['payload'];

/** A Salesforce record as the REST API returns it: field API names to typed values. */
export type SalesforceRecord = Readonly<Record<string, unknown>> & { readonly Id: string };

/** A won-opportunity candidate with its account and line items, read in full before acting. */
export interface SalesforceOpportunitySnapshot {
  readonly opportunity: SalesforceRecord;
  readonly account?: SalesforceRecord;
  readonly lineItems: readonly SalesforceRecord[];
}

/**
 * Fields docs/vendors/salesforce.md ("Setting up the org") asks a Salesforce admin to create for the contract, beside the configurable
 * `crm.fields`. Standard fields (Name, StageName, Amount, CurrencyIsoCode, CloseDate, AccountId) are
 * Salesforce's own.
 */
export const SALESFORCE_CONTRACT_FIELDS = {
  opportunity: ['PS_Contract_Start__c', 'PS_Contract_End__c', 'PS_Not_To_Exceed__c', 'PS_Expense_Markup__c'],
  lineItem: [
    'Name',
    'UnitPrice',
    'Quantity',
    'PS_Line_Type__c',
    'PS_Effective_From__c',
    'PS_Effective_To__c',
    'PS_Due_Date__c',
    'PS_Billable__c',
    'PS_Estimated_Hours__c',
  ],
  account: ['Name', 'BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountryCode', 'Website'],
} as const;

const text = (record: Readonly<Record<string, unknown>> | undefined, field: string): string | undefined => {
  const value = record?.[field];
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
};

/**
 * Maps a Salesforce opportunity snapshot to the canonical `opportunity.won` payload, copying what the
 * records say without judging it (validation in the workflow decides). Line items carry the contract:
 * `PS_Line_Type__c` = `rate` (product name = role, unit price = hourly rate), `milestone` (unit price ×
 * quantity) or `task`.
 */
export function opportunityWonPayload(snapshot: SalesforceOpportunitySnapshot, fields: CrmFieldNames): Payload {
  const { opportunity: o, account, lineItems } = snapshot;
  const currency = text(o, 'CurrencyIsoCode');
  const revision = Number.parseInt(text(o, fields.syncRevision) ?? '1', 10);
  const dealAmount = amountOf(text(o, 'Amount'), currency);
  const closeDate = isoDate(text(o, 'CloseDate'));
  const legalEntityId = text(o, fields.legalEntity);
  const businessUnit = text(o, fields.businessUnit);
  const taxProfileCode = text(o, fields.taxProfile);
  const country = text(account, 'BillingCountryCode');
  return {
    opportunity: {
      crmId: o.Id,
      name: text(o, 'Name') ?? `Opportunity ${o.Id}`,
      stage: text(o, 'StageName') ?? 'unknown',
      ...(dealAmount ? { amount: dealAmount } : {}),
      ...(closeDate ? { closeDate } : {}),
      revision: Number.isSafeInteger(revision) && revision > 0 ? revision : 1,
    },
    account: {
      crmId: account?.Id ?? text(o, 'AccountId') ?? `opportunity-${o.Id}`,
      name: text(account, 'Name') ?? text(o, 'Name') ?? `Opportunity ${o.Id}`,
      ...(country && /^[A-Z]{2}$/.test(country)
        ? {
            billingAddress: {
              country,
              ...(text(account, 'BillingStreet') ? { street: text(account, 'BillingStreet')! } : {}),
              ...(text(account, 'BillingCity') ? { city: text(account, 'BillingCity')! } : {}),
              ...(text(account, 'BillingState') ? { region: text(account, 'BillingState')! } : {}),
              ...(text(account, 'BillingPostalCode') ? { postalCode: text(account, 'BillingPostalCode')! } : {}),
            },
          }
        : {}),
      ...(text(account, 'Website') ? { website: text(account, 'Website')! } : {}),
    },
    ...(legalEntityId ? { legalEntityId } : {}),
    ...(businessUnit ? { businessUnit } : {}),
    ...(currency ? { currency } : {}),
    ...(taxProfileCode ? { taxProfileCode } : {}),
    contract: dealContract(
      {
        currency,
        billingModel: text(o, fields.billingTerms),
        paymentTerms: text(o, fields.paymentTerms),
        notToExceed: text(o, 'PS_Not_To_Exceed__c'),
        expenseMarkup: text(o, 'PS_Expense_Markup__c'),
        start: text(o, 'PS_Contract_Start__c'),
        end: text(o, 'PS_Contract_End__c'),
      },
      lineItems.map((l) => ({
        type: text(l, 'PS_Line_Type__c'),
        name: text(l, 'Name'),
        price: text(l, 'UnitPrice'),
        quantity: text(l, 'Quantity'),
        effectiveFrom: text(l, 'PS_Effective_From__c'),
        effectiveTo: text(l, 'PS_Effective_To__c'),
        dueDate: text(l, 'PS_Due_Date__c'),
        billable: text(l, 'PS_Billable__c'),
        estimatedHours: text(l, 'PS_Estimated_Hours__c'),
      })),
    ),
  };
}

/**
 * The canonical event; its id is stable per opportunity and revision, so relayed duplicates, replays
 * and reconciliation collapse. `sourceVersion` is the commit number of the change that led here, when
 * one did.
 */
export function opportunityWonEvent(
  instance: string,
  snapshot: SalesforceOpportunitySnapshot,
  fields: CrmFieldNames,
  correlationId: string,
  now: Date,
  sourceVersion?: string,
): OpportunityWonEvent {
  const payload = opportunityWonPayload(snapshot, fields);
  return {
    id: deterministicUuid('opportunity.won', `salesforce:${instance}:${snapshot.opportunity.Id}:r${payload.opportunity.revision}`),
    type: 'opportunity.won',
    schemaVersion: 1,
    source: { vendor: 'salesforce', instance },
    occurredAt: now.toISOString(),
    correlationId,
    ...(payload.legalEntityId ? { legalEntityId: payload.legalEntityId } : {}),
    ...(sourceVersion ? { sourceVersion } : {}),
    payload,
  };
}
