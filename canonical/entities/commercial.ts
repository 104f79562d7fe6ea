import { z } from 'zod';
import { CurrencyCode, GlobalId, IsoDate, Money, NonNegativeDecimal } from '../primitives';
import { EntityBase, mergedIntoRule } from './common';

/** One effective-dated rate of a rate card: the hourly rate billed for a role. */
export const RateCardLine = z.strictObject({
  role: z.string().min(1),
  hourlyRate: NonNegativeDecimal,
  effectiveFrom: IsoDate,
  /** Inclusive; open-ended when omitted. */
  effectiveTo: IsoDate.optional(),
});
/** A rate card line. */
export type RateCardLine = z.infer<typeof RateCardLine>;

/** A rate card: billing rates by role in one currency. */
export const RateCard = EntityBase.extend({
  name: z.string().min(1),
  currency: CurrencyCode,
  lines: z.array(RateCardLine).min(1),
}).superRefine(mergedIntoRule);
/** A rate card. */
export type RateCard = z.infer<typeof RateCard>;

/** How a contract bills. */
export const BillingModel = z.enum(['time-and-materials', 'fixed-fee', 'retainer']);
/** How a contract bills. */
export type BillingModel = z.infer<typeof BillingModel>;

/** The commercial terms of a contract that billing applies. */
export const BillingTerms = z.strictObject({
  model: BillingModel,
  paymentTermsCode: z.string().min(1),
  /** Time and materials billed beyond this cap is written down, not invoiced. */
  notToExceed: Money.optional(),
  /** Expenses are passed through with this markup, in percent (`"10"` = 10 %). */
  expenseMarkupPercent: NonNegativeDecimal.default('0'),
  /** A retainer bills this amount every billing period. */
  retainerPerPeriod: Money.optional(),
});
/** Billing terms. */
export type BillingTerms = z.infer<typeof BillingTerms>;

/** A line of a contract's billing schedule (fixed fee, milestone or retainer instalment). */
export const BillingScheduleLine = z.strictObject({
  lineId: z.string().min(1),
  description: z.string().min(1),
  amount: Money,
  dueDate: IsoDate.optional(),
  /** Becomes eligible when this milestone completes. */
  milestoneGlobalId: GlobalId.optional(),
});
/** A billing schedule line. */
export type BillingScheduleLine = z.infer<typeof BillingScheduleLine>;

/** A contract: what was sold, on which terms, billed how. */
export const Contract = EntityBase.extend({
  customerGlobalId: GlobalId,
  opportunityGlobalId: GlobalId.optional(),
  legalEntityId: z.string().min(1),
  businessUnit: z.string().min(1),
  currency: CurrencyCode,
  taxProfileCode: z.string().min(1),
  billingTerms: BillingTerms,
  billingSchedule: z.array(BillingScheduleLine).default([]),
  rateCardGlobalId: GlobalId.optional(),
  startDate: IsoDate,
  endDate: IsoDate.optional(),
}).superRefine(mergedIntoRule);
/** A contract. */
export type Contract = z.infer<typeof Contract>;

/** An opportunity (a deal) in the CRM. */
export const Opportunity = EntityBase.extend({
  name: z.string().min(1),
  customerGlobalId: GlobalId.optional(),
  amount: Money.optional(),
  stage: z.string().min(1),
  closeDate: IsoDate.optional(),
  legalEntityId: z.string().min(1).optional(),
  businessUnit: z.string().min(1).optional(),
}).superRefine(mergedIntoRule);
/** An opportunity. */
export type Opportunity = z.infer<typeof Opportunity>;
