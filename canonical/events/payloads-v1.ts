import { z } from 'zod';
import { BillingTerms, RateCardLine } from '../entities/commercial';
import { Address, CurrencyCode, GlobalId, IsoDate, Money, NonNegativeDecimal } from '../primitives';
import { InstanceId, SystemRef } from '../systems';

/** A record's id in one system instance. */
const SystemRecord = z.strictObject({ instance: InstanceId, id: z.string().min(1) });

/** A milestone sold with the deal: becomes a PSA milestone and a billing-schedule line. */
export const SoldMilestone = z.strictObject({ name: z.string().min(1), amount: Money, dueDate: IsoDate.optional() });
/** A task sold with the deal: becomes a PSA task. */
export const SoldTask = z.strictObject({ name: z.string().min(1), billable: z.boolean(), estimatedHours: NonNegativeDecimal.optional() });

/** `opportunity.won` v1: a deal closed in the CRM, read in full after the change arrived. */
export const OpportunityWonV1 = z.strictObject({
  opportunity: z.strictObject({
    crmId: z.string().min(1),
    name: z.string().min(1),
    stage: z.string().min(1),
    amount: Money.optional(),
    closeDate: IsoDate.optional(),
    /** Bumped by a person to re-run the deal after a data fix; part of the execution name. */
    revision: z.int().min(1),
  }),
  account: z.strictObject({
    crmId: z.string().min(1),
    name: z.string().min(1),
    billingAddress: Address.optional(),
    website: z.string().min(1).optional(),
  }),
  /** Commercial fields as the CRM holds them; validation in the workflow decides if they suffice. */
  legalEntityId: z.string().optional(),
  businessUnit: z.string().optional(),
  currency: z.string().optional(),
  taxProfileCode: z.string().optional(),
  contract: z.strictObject({
    billingTerms: BillingTerms.partial().optional(),
    startDate: IsoDate.optional(),
    endDate: IsoDate.optional(),
    rateCard: z.array(RateCardLine).default([]),
    milestones: z.array(SoldMilestone).default([]),
    tasks: z.array(SoldTask).default([]),
  }),
});

/** `account.changed` v1: attributes of a customer changed in their system of record. */
export const AccountChangedV1 = z.strictObject({
  customerGlobalId: GlobalId.optional(),
  record: SystemRecord,
  /** Changed attributes by path (`billingAddress.street`), values as the source holds them. */
  changes: z.record(z.string().min(1), z.unknown()),
});

/** `contract.amended` v1: a change order on a won deal. */
export const ContractAmendedV1 = z.strictObject({
  contractGlobalId: GlobalId.optional(),
  opportunity: SystemRecord,
  billingTerms: BillingTerms.partial().optional(),
  rateCard: z.array(RateCardLine).optional(),
  milestones: z.array(SoldMilestone).optional(),
  effectiveFrom: IsoDate,
});

/** `project.activated` v1: the customer and projects exist everywhere and the CRM knows their ids. */
export const ProjectActivatedV1 = z.strictObject({
  projectGlobalId: GlobalId,
  customerGlobalId: GlobalId,
  opportunity: SystemRecord,
  erp: z.strictObject({ instance: InstanceId, customerId: z.string().min(1), projectId: z.string().min(1) }),
  psa: z.strictObject({ instance: InstanceId, projectId: z.string().min(1) }),
  legalEntityId: z.string().min(1),
  businessUnit: z.string().min(1),
});

/** `time.approved` v1: an approved time entry in the PSA. */
export const TimeApprovedV1 = z.strictObject({
  entry: SystemRecord,
  project: SystemRecord,
  resource: SystemRecord,
  role: z.string().min(1),
  workDate: IsoDate,
  hours: NonNegativeDecimal,
  billable: z.boolean(),
  approvedAt: z.iso.datetime({ offset: true }),
});

/** `expense.approved` v1: an approved expense in the PSA. */
export const ExpenseApprovedV1 = z.strictObject({
  expense: SystemRecord,
  project: SystemRecord,
  resource: SystemRecord,
  incurredOn: IsoDate,
  category: z.string().min(1),
  amount: Money,
  billable: z.boolean(),
  approvedAt: z.iso.datetime({ offset: true }),
});

/** `milestone.completed` v1: the PSA marked a milestone complete. */
export const MilestoneCompletedV1 = z.strictObject({
  milestone: SystemRecord,
  project: SystemRecord,
  completedOn: IsoDate,
});

/** `invoice.posted` v1: the ERP posted an invoice and assigned its number and tax. */
export const InvoicePostedV1 = z.strictObject({
  invoiceGlobalId: GlobalId,
  invoice: SystemRecord,
  invoiceNumber: z.string().min(1),
  contractGlobalId: GlobalId,
  postingDate: IsoDate,
  subtotal: Money,
  tax: Money,
  total: Money,
});

/** `payment.received` v1: the ERP recorded a payment against an invoice. */
export const PaymentReceivedV1 = z.strictObject({
  invoiceGlobalId: GlobalId,
  invoice: SystemRecord,
  amountPaid: Money,
  amountDue: Money,
  paidOn: IsoDate,
  state: z.enum(['partially-paid', 'paid']),
});

/** `worker.changed` v1: HCM changed a worker's identity, employment, cost rate or cost centre. */
export const WorkerChangedV1 = z.strictObject({
  worker: SystemRecord,
  resourceGlobalId: GlobalId.optional(),
  displayName: z.string().min(1),
  email: z.email(),
  employmentStatus: z.enum(['active', 'leave', 'terminated']),
  legalEntityId: z.string().min(1),
  costRate: z.strictObject({ hourlyRate: NonNegativeDecimal, currency: CurrencyCode }).optional(),
  costCentreId: z.string().min(1).optional(),
});

/** Where a payload's source lives; re-exported for envelopes. */
export { SystemRef };
