import { describe, expect, it } from 'vitest';
import { OpportunityInvalidError, validateOpportunity } from '../../../lambdas/opportunity-to-project/validate-opportunity';
import { exampleConfig } from '../../support/example-config';
import { wonDeal } from '../../support/opportunity-fixture';

const config = exampleConfig();

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof OpportunityInvalidError) return error.problems.map((p) => `${p.field}: ${p.reason}`);
    throw error;
  }
  throw new Error('expected the deal to be refused');
}

describe('validateOpportunity', () => {
  it('routes a complete deal to its legal entity ERP and PSA instances, with a stable project id', () => {
    const result = validateOpportunity(wonDeal(), config, 'us-east-1');
    const again = validateOpportunity(wonDeal(), config, 'us-east-1');

    expect(result).toMatchObject({
      outcome: 'valid',
      legalEntityId: 'acme-us',
      currency: 'USD',
      instances: { crm: 'hubspot-main', erp: 'netsuite-us', psa: 'kantata-global' },
      billingTerms: { model: 'time-and-materials', paymentTermsCode: 'NET30' },
    });
    expect(again.outcome === 'valid' && result.outcome === 'valid' && again.projectGlobalId === result.projectGlobalId).toBe(true);
  });

  it('routes a UK deal to the other NetSuite account', () => {
    const result = validateOpportunity(
      wonDeal((p) => {
        p.legalEntityId = 'acme-uk';
        p.currency = 'GBP';
        p.opportunity.amount = { amountMinor: 100, currency: 'GBP' };
        p.contract.milestones = [];
        p.contract.billingTerms = { model: 'time-and-materials', paymentTermsCode: 'NET30' };
      }),
      config,
      'eu-west-1',
    );

    expect(result).toMatchObject({ outcome: 'valid', instances: { erp: 'netsuite-eu' } });
  });

  it('reports every missing commercial field at once, with the CRM field names', () => {
    const problems = problemsOf(() =>
      validateOpportunity(
        wonDeal((p) => {
          delete p.taxProfileCode;
          p.currency = 'XYZ';
          p.contract.billingTerms = {};
          delete p.contract.startDate;
        }),
        config,
        'us-east-1',
      ),
    );

    expect(problems).toEqual([
      'currency: currency "XYZ" is missing or not supported',
      'ps_tax_profile: the deal names no tax profile',
      'ps_billing_terms: the deal names no billing model',
      'ps_payment_terms: the deal names no payment terms',
      'contract.startDate: the contract has no start date',
    ]);
  });

  it('keeps a retainer amount, and refuses a retainer deal without one or in another currency', () => {
    const retainer = (amount?: { amountMinor: number; currency: 'USD' | 'EUR' }) =>
      wonDeal((p) => {
        p.contract.billingTerms = { model: 'retainer', paymentTermsCode: 'NET30', ...(amount ? { retainerPerPeriod: amount } : {}) };
      });

    expect(validateOpportunity(retainer({ amountMinor: 500000, currency: 'USD' }), config, 'us-east-1')).toMatchObject({
      outcome: 'valid',
      billingTerms: { model: 'retainer', retainerPerPeriod: { amountMinor: 500000, currency: 'USD' } },
    });
    expect(problemsOf(() => validateOpportunity(retainer(), config, 'us-east-1'))).toEqual([
      'contract.billingTerms.retainerPerPeriod: a retainer deal has no amount to bill each period',
    ]);
    expect(problemsOf(() => validateOpportunity(retainer({ amountMinor: 500000, currency: 'EUR' }), config, 'us-east-1'))).toEqual([
      expect.stringMatching(/^currency: the retainer not in the deal currency USD/),
    ]);
  });

  it('refuses an unknown legal entity and a business unit the entity does not have', () => {
    expect(
      problemsOf(() =>
        validateOpportunity(
          wonDeal((p) => (p.legalEntityId = 'acme-fr')),
          config,
          'us-east-1',
        ),
      ),
    ).toEqual(['ps_legal_entity: legal entity acme-fr is not configured']);
    expect(
      problemsOf(() =>
        validateOpportunity(
          wonDeal((p) => (p.businessUnit = 'research')),
          config,
          'us-east-1',
        ),
      ),
    ).toEqual(["ps_business_unit: business unit research is not one of acme-us's"]);
  });

  it('answers switched-off, without an exception, where the flow is off for the legal entity', () => {
    const result = validateOpportunity(
      wonDeal((p) => ((p.legalEntityId = 'acme-de'), (p.currency = 'EUR'))),
      config,
      'eu-west-1',
    );

    expect(result).toEqual({ outcome: 'switched-off', reason: 'opportunity-to-project for acme-de/delivery in eu-west-1 is switched off' });
  });

  it('refuses a deal that reached a region which does not serve its legal entity', () => {
    expect(problemsOf(() => validateOpportunity(wonDeal(), config, 'eu-west-1'))).toEqual([
      'ps_legal_entity: acme-us is served by us-east-1, but the deal reached eu-west-1',
    ]);
  });

  it('refuses mixed currencies and overlapping rates for a role', () => {
    const problems = problemsOf(() =>
      validateOpportunity(
        wonDeal((p) => {
          p.contract.milestones = [{ name: 'Kick-off', amount: { amountMinor: 100, currency: 'EUR' } }];
          p.contract.rateCard.push({ role: 'Principal', hourlyRate: '300.00', effectiveFrom: '2027-01-01' });
        }),
        config,
        'us-east-1',
      ),
    );

    expect(problems).toEqual([
      'currency: milestone "Kick-off" not in the deal currency USD',
      'contract.rateCard: rates for Principal overlap in time, so the rate for a day would be ambiguous',
    ]);
  });
});
