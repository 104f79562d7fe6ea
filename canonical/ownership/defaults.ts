import type { OwnershipPolicy } from './policy';

/**
 * The default ownership (docs/canonical-model.md). Where an entity is shared, the split and the reason:
 * - customer: the CRM owns the commercial account (name, address, industry, owner); the ERP owns the
 *   legal record (legal name, tax profile, customer number, payment terms), because invoices are
 *   legal documents issued from it.
 * - project: the PSA owns its structure; the ERP owns `projectCode`, its numbering; the contract link
 *   and commercial value come from the CRM deal.
 * - contract, rate card: commercial terms are sold in the CRM; the PSA only applies them.
 * - resource: HCM owns identity, employment, cost rate and cost centre; the PSA owns billing role and skills.
 * - time, expenses: the PSA owns the entry; the ERP owns the invoice linkage it writes back.
 * - milestone: the PSA owns completion; the amount is the contract's (CRM).
 */
export const DEFAULT_OWNERSHIP: OwnershipPolicy = {
  customer: {
    owner: 'crm',
    attributes: { legalName: 'erp', taxProfileCode: 'erp', erpCustomerNumber: 'erp', paymentTermsCode: 'erp' },
    known: [
      'name',
      'legalName',
      'billingAddress',
      'industry',
      'website',
      'taxProfileCode',
      'erpCustomerNumber',
      'paymentTermsCode',
      'currency',
      'legalEntityId',
      'accountOwner',
      'status',
    ],
  },
  contact: { owner: 'crm', attributes: {}, known: ['firstName', 'lastName', 'email', 'phone', 'jobTitle', 'customerGlobalId', 'status'] },
  opportunity: { owner: 'crm', attributes: {}, known: ['name', 'customerGlobalId', 'amount', 'stage', 'closeDate', 'legalEntityId', 'businessUnit', 'status'] },
  contract: {
    owner: 'crm',
    attributes: {},
    known: [
      'customerGlobalId',
      'opportunityGlobalId',
      'legalEntityId',
      'businessUnit',
      'currency',
      'taxProfileCode',
      'billingTerms',
      'billingSchedule',
      'rateCardGlobalId',
      'startDate',
      'endDate',
      'status',
    ],
  },
  project: {
    owner: 'psa',
    attributes: {
      projectCode: 'erp',
      contractGlobalId: 'crm',
      customerGlobalId: 'crm',
      legalEntityId: 'crm',
      businessUnit: 'crm',
      currency: 'crm',
      budget: 'crm',
    },
    known: [
      'name',
      'projectCode',
      'customerGlobalId',
      'contractGlobalId',
      'legalEntityId',
      'businessUnit',
      'currency',
      'startDate',
      'endDate',
      'budget',
      'status',
    ],
  },
  'project-task': { owner: 'psa', attributes: {}, known: ['projectGlobalId', 'name', 'parentTaskGlobalId', 'billable', 'estimatedHours', 'status'] },
  resource: {
    owner: 'hcm',
    attributes: { billingRole: 'psa', skills: 'psa' },
    known: ['displayName', 'email', 'employmentStatus', 'legalEntityId', 'costRate', 'costCentreId', 'billingRole', 'skills', 'status'],
  },
  'rate-card': { owner: 'crm', attributes: {}, known: ['name', 'currency', 'lines', 'status'] },
  'time-entry': {
    owner: 'psa',
    attributes: { invoiceGlobalId: 'erp', invoicedAt: 'erp' },
    known: [
      'projectGlobalId',
      'taskGlobalId',
      'resourceGlobalId',
      'role',
      'workDate',
      'hours',
      'billable',
      'approvedAt',
      'invoiceGlobalId',
      'invoicedAt',
      'status',
    ],
  },
  'expense-item': {
    owner: 'psa',
    attributes: { invoiceGlobalId: 'erp', invoicedAt: 'erp' },
    known: ['projectGlobalId', 'resourceGlobalId', 'incurredOn', 'category', 'amount', 'billable', 'approvedAt', 'invoiceGlobalId', 'invoicedAt', 'status'],
  },
  milestone: {
    owner: 'psa',
    attributes: { amount: 'crm', contractGlobalId: 'crm' },
    known: ['projectGlobalId', 'contractGlobalId', 'name', 'amount', 'dueDate', 'completedOn', 'state', 'status'],
  },
  invoice: {
    owner: 'erp',
    attributes: {},
    known: [
      'customerGlobalId',
      'contractGlobalId',
      'legalEntityId',
      'invoiceNumber',
      'periodStart',
      'periodEnd',
      'currency',
      'lines',
      'subtotal',
      'tax',
      'total',
      'postingDate',
      'state',
      'status',
    ],
  },
  'payment-status': { owner: 'erp', attributes: {}, known: ['invoiceGlobalId', 'amountPaid', 'amountDue', 'state', 'paidOn', 'status'] },
  'legal-entity': { owner: 'erp', attributes: {}, known: ['id', 'name', 'functionalCurrency', 'country'] },
  'cost-centre': { owner: 'hcm', attributes: {}, known: ['code', 'name', 'legalEntityId'] },
};
