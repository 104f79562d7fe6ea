import { z } from 'zod';
import { CurrencyCode, GlobalId, IsoDate, IsoTimestamp, Money, NonNegativeDecimal } from '../primitives';
import { EntityBase, mergedIntoRule } from './common';

/** A project: the PSA's delivery structure and the ERP's project record. */
export const Project = EntityBase.extend({
  name: z.string().min(1),
  /** ERP numbering: the ERP assigns it. */
  projectCode: z.string().min(1).optional(),
  customerGlobalId: GlobalId,
  contractGlobalId: GlobalId.optional(),
  legalEntityId: z.string().min(1),
  businessUnit: z.string().min(1),
  currency: CurrencyCode,
  startDate: IsoDate,
  endDate: IsoDate.optional(),
  budget: Money.optional(),
}).superRefine(mergedIntoRule);
/** A project. */
export type Project = z.infer<typeof Project>;

/** A task of a project. */
export const ProjectTask = EntityBase.extend({
  projectGlobalId: GlobalId,
  name: z.string().min(1),
  parentTaskGlobalId: GlobalId.optional(),
  billable: z.boolean(),
  estimatedHours: NonNegativeDecimal.optional(),
}).superRefine(mergedIntoRule);
/** A project task. */
export type ProjectTask = z.infer<typeof ProjectTask>;

/** A worker as a resource: identity and cost from HCM, billing role and skills from PSA. */
export const Resource = EntityBase.extend({
  displayName: z.string().min(1),
  email: z.email(),
  employmentStatus: z.enum(['active', 'leave', 'terminated']),
  legalEntityId: z.string().min(1),
  costRate: z.strictObject({ hourlyRate: NonNegativeDecimal, currency: CurrencyCode }).optional(),
  costCentreId: z.string().min(1).optional(),
  billingRole: z.string().min(1).optional(),
  skills: z.array(z.string().min(1)).default([]),
}).superRefine(mergedIntoRule);
/** A resource (worker). */
export type Resource = z.infer<typeof Resource>;

/** Approved time on a project. Hours are decimals; billing never sees a float. */
export const TimeEntry = EntityBase.extend({
  projectGlobalId: GlobalId,
  taskGlobalId: GlobalId.optional(),
  resourceGlobalId: GlobalId,
  role: z.string().min(1),
  workDate: IsoDate,
  hours: NonNegativeDecimal,
  billable: z.boolean(),
  approvedAt: IsoTimestamp.optional(),
  /** Set by the ERP-side posting; an entry carrying it is never billed again. */
  invoiceGlobalId: GlobalId.optional(),
  invoicedAt: IsoTimestamp.optional(),
}).superRefine(mergedIntoRule);
/** A time entry. */
export type TimeEntry = z.infer<typeof TimeEntry>;

/** An expense incurred on a project. */
export const ExpenseItem = EntityBase.extend({
  projectGlobalId: GlobalId,
  resourceGlobalId: GlobalId,
  incurredOn: IsoDate,
  category: z.string().min(1),
  amount: Money,
  billable: z.boolean(),
  approvedAt: IsoTimestamp.optional(),
  invoiceGlobalId: GlobalId.optional(),
  invoicedAt: IsoTimestamp.optional(),
}).superRefine(mergedIntoRule);
/** An expense item. */
export type ExpenseItem = z.infer<typeof ExpenseItem>;

/** A milestone: its completion is the PSA's, its amount the contract's. */
export const Milestone = EntityBase.extend({
  projectGlobalId: GlobalId,
  contractGlobalId: GlobalId.optional(),
  name: z.string().min(1),
  amount: Money.optional(),
  dueDate: IsoDate.optional(),
  completedOn: IsoDate.optional(),
  state: z.enum(['planned', 'completed', 'invoiced']),
}).superRefine(mergedIntoRule);
/** A milestone. */
export type Milestone = z.infer<typeof Milestone>;
