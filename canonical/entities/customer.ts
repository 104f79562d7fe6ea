import { z } from 'zod';
import { Address, CurrencyCode, GlobalId } from '../primitives';
import { EntityBase, mergedIntoRule } from './common';

/** A customer (the CRM account and the ERP's legal customer record, reconciled). */
export const Customer = EntityBase.extend({
  name: z.string().min(1),
  legalName: z.string().min(1).optional(),
  billingAddress: Address.optional(),
  industry: z.string().min(1).optional(),
  website: z.string().min(1).optional(),
  taxProfileCode: z.string().min(1).optional(),
  /** Assigned by the ERP; never proposed by another system. */
  erpCustomerNumber: z.string().min(1).optional(),
  paymentTermsCode: z.string().min(1).optional(),
  currency: CurrencyCode,
  legalEntityId: z.string().min(1),
  accountOwner: z.string().min(1).optional(),
}).superRefine(mergedIntoRule);
/** A customer. */
export type Customer = z.infer<typeof Customer>;

/** A commercial contact of a customer. */
export const Contact = EntityBase.extend({
  customerGlobalId: GlobalId,
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  email: z.email().optional(),
  phone: z.string().min(3).optional(),
  jobTitle: z.string().min(1).optional(),
}).superRefine(mergedIntoRule);
/** A contact. */
export type Contact = z.infer<typeof Contact>;
