import { type BillingTerms, CurrencyCode, type DeploymentConfig, type OpportunityWonEvent, routeFlow } from '../../canonical';
import { deterministicUuid } from '../common/deterministic-id';
import { SyncError } from '../common/errors';

/** One reason a deal cannot be synced, with what a person should do about it. */
export interface ValidationProblem {
  readonly field: string;
  readonly reason: string;
  readonly remediation: string;
}

/** The deal is not fit to sync; the state machine turns this into a recorded exception. */
export class OpportunityInvalidError extends SyncError {
  override readonly name = 'OpportunityInvalid';
  constructor(readonly problems: readonly ValidationProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
  }
}

/** A deal fit to sync, with everything later steps need resolved once. */
export interface ValidOpportunity {
  readonly outcome: 'valid';
  readonly legalEntityId: string;
  readonly businessUnit: string;
  readonly currency: CurrencyCode;
  readonly taxProfileCode: string;
  readonly billingTerms: BillingTerms;
  readonly instances: { readonly crm: string; readonly psa: string; readonly erp: string };
  /** Deterministic, so every retry and replay of the deal names the same project. */
  readonly projectGlobalId: string;
}

/** The flow is off for the deal's legal entity or business unit: nothing happens, and why is logged. */
export interface SwitchedOff {
  readonly outcome: 'switched-off';
  readonly reason: string;
}

/**
 * Checks a won deal before anything is written anywhere: legal entity known and served by this
 * region, business unit, flow switch, currency, tax profile and billing terms. Every problem is
 * reported at once, so one round of fixes in the CRM suffices.
 * @throws OpportunityInvalidError listing every problem.
 */
export function validateOpportunity(event: OpportunityWonEvent, config: DeploymentConfig, region: string): ValidOpportunity | SwitchedOff {
  const p = event.payload;
  const crmFields = config.vendorInstances.find((v) => v.id === event.source.instance)?.crm?.fields;
  const field = (name: keyof NonNullable<typeof crmFields>) => crmFields?.[name] ?? name;
  const problems: ValidationProblem[] = [];
  const problem = (f: string, reason: string, remediation: string) => problems.push({ field: f, reason, remediation });

  const entity = config.legalEntities.find((e) => e.id === p.legalEntityId);
  if (!p.legalEntityId)
    problem(
      field('legalEntity'),
      'the deal names no legal entity',
      `Set ${field('legalEntity')} on the deal to one of ${config.legalEntities.map((e) => e.id).join(', ')}.`,
    );
  else if (entity === undefined)
    problem(
      field('legalEntity'),
      `legal entity ${p.legalEntityId} is not configured`,
      `Use one of ${config.legalEntities.map((e) => e.id).join(', ')}, or add the entity to the deployment configuration.`,
    );
  if (!p.businessUnit) problem(field('businessUnit'), 'the deal names no business unit', `Set ${field('businessUnit')} on the deal.`);
  else if (entity !== undefined && !entity.businessUnits.includes(p.businessUnit)) {
    problem(field('businessUnit'), `business unit ${p.businessUnit} is not one of ${entity.id}'s`, `Use one of ${entity.businessUnits.join(', ')}.`);
  }

  if (entity !== undefined && p.businessUnit && entity.businessUnits.includes(p.businessUnit)) {
    const route = routeFlow(config, { flow: 'opportunity-to-project', legalEntityId: entity.id, businessUnit: p.businessUnit });
    if (!route.enabled) return { outcome: 'switched-off', reason: route.detail };
    if (route.region !== region) {
      problem(
        field('legalEntity'),
        `${entity.id} is served by ${route.region}, but the deal reached ${region}`,
        `Point the CRM instance's webhooks or relay for ${entity.id} at the ${route.region} stack.`,
      );
    }
  }

  const currency = CurrencyCode.safeParse(p.currency);
  if (!currency.success)
    problem(
      'currency',
      `currency ${JSON.stringify(p.currency ?? null)} is missing or not supported`,
      `Set the deal currency to one of ${CurrencyCode.options.join(', ')}.`,
    );
  if (!p.taxProfileCode)
    problem(field('taxProfile'), 'the deal names no tax profile', `Set ${field('taxProfile')} to the customer's tax profile code in the ERP.`);

  const terms = p.contract.billingTerms;
  if (!terms?.model)
    problem(field('billingTerms'), 'the deal names no billing model', `Set ${field('billingTerms')} to time-and-materials, fixed-fee or retainer.`);
  if (!terms?.paymentTermsCode) problem(field('paymentTerms'), 'the deal names no payment terms', `Set ${field('paymentTerms')} (for example NET30).`);
  if (!p.contract.startDate) problem('contract.startDate', 'the contract has no start date', 'Set the contract start date on the deal.');
  if (terms?.model === 'time-and-materials' && p.contract.rateCard.length === 0) {
    problem('contract.rateCard', 'a time-and-materials deal has no rate card', 'Add a rate line for each role sold (role, hourly rate, effective from).');
  }
  if (terms?.model === 'fixed-fee' && p.contract.milestones.length === 0)
    problem('contract.milestones', 'a fixed-fee deal has no milestones to bill', 'Add the milestones with their amounts.');
  if (terms?.model === 'retainer' && terms.retainerPerPeriod === undefined)
    problem(
      'contract.billingTerms.retainerPerPeriod',
      'a retainer deal has no amount to bill each period',
      'Add a line item of type retainer whose price is the amount billed each month.',
    );

  if (currency.success) {
    const wrong = [
      ...p.contract.milestones.filter((m) => m.amount.currency !== currency.data).map((m) => `milestone "${m.name}"`),
      ...(p.opportunity.amount && p.opportunity.amount.currency !== currency.data ? ['the deal amount'] : []),
      ...(terms?.notToExceed && terms.notToExceed.currency !== currency.data ? ['the not-to-exceed cap'] : []),
      ...(terms?.retainerPerPeriod && terms.retainerPerPeriod.currency !== currency.data ? ['the retainer'] : []),
    ];
    if (wrong.length > 0) problem('currency', `${wrong.join(', ')} not in the deal currency ${currency.data}`, 'Use one currency for the whole deal.');
  }
  for (const overlap of overlappingRates(p.contract.rateCard)) {
    problem(
      'contract.rateCard',
      `rates for ${overlap} overlap in time, so the rate for a day would be ambiguous`,
      `Close the earlier ${overlap} rate the day before the next one starts.`,
    );
  }

  if (problems.length > 0 || entity === undefined || !currency.success || !terms?.model || !terms.paymentTermsCode) throw new OpportunityInvalidError(problems);
  return {
    outcome: 'valid',
    legalEntityId: entity.id,
    businessUnit: p.businessUnit!,
    currency: currency.data,
    taxProfileCode: p.taxProfileCode!,
    billingTerms: {
      model: terms.model,
      paymentTermsCode: terms.paymentTermsCode,
      expenseMarkupPercent: terms.expenseMarkupPercent ?? '0',
      ...(terms.notToExceed ? { notToExceed: terms.notToExceed } : {}),
      ...(terms.retainerPerPeriod ? { retainerPerPeriod: terms.retainerPerPeriod } : {}),
    },
    instances: { crm: event.source.instance, psa: entity.instances.psa, erp: entity.instances.erp },
    projectGlobalId: deterministicUuid('project', `${event.source.vendor}:${event.source.instance}:${p.opportunity.crmId}`),
  };
}

/** Roles whose effective-dated rates overlap. */
function overlappingRates(lines: OpportunityWonEvent['payload']['contract']['rateCard']): string[] {
  const byRole = new Map<string, { from: string; to: string }[]>();
  for (const l of lines) {
    const ranges = byRole.get(l.role) ?? [];
    ranges.push({ from: l.effectiveFrom, to: l.effectiveTo ?? '9999-12-31' });
    byRole.set(l.role, ranges);
  }
  return [...byRole.entries()]
    .filter(([, ranges]) => ranges.sort((a, b) => a.from.localeCompare(b.from)).some((r, i) => i > 0 && r.from <= ranges[i - 1]!.to))
    .map(([role]) => role);
}
