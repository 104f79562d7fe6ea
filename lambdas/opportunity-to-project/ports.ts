import type { Address, Money, RateCardLine } from '../../canonical';

/**
 * The ports of the opportunity-to-project workflow. The workflow speaks these vendor-neutral shapes;
 * each vendor adapter translates them to its wire format (NetSuite customer and job, Kantata
 * workspace, HubSpot deal properties).
 */

/** The ERP customer to find or create, keyed by our global id as the external id. */
export interface ErpCustomerDraft {
  readonly externalId: string;
  readonly name: string;
  readonly billingAddress?: Address;
  readonly currency: string;
  readonly paymentTermsCode: string;
  readonly taxProfileCode: string;
  readonly legalEntityId: string;
}

/** The ERP project (NetSuite `job`) under its customer. */
export interface ErpProjectDraft {
  readonly externalId: string;
  readonly name: string;
  readonly customerId: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly currency: string;
}

/** The ERP: upserts by external id, so a repeated call never makes a second record. */
export interface ErpPort {
  upsertCustomer(customer: ErpCustomerDraft): Promise<{ id: string }>;
  upsertProject(project: ErpProjectDraft): Promise<{ id: string }>;
}

/** The PSA project shell with what billing later depends on. */
export interface PsaProjectDraft {
  /** Our global id, attached as the vendor's external reference so a lost create can be found again. */
  readonly externalReference: string;
  readonly name: string;
  readonly customerName: string;
  readonly currency: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly billingModel: string;
  readonly budget?: Money;
  readonly tasks: readonly { name: string; billable: boolean; estimatedHours?: string }[];
  readonly milestones: readonly { name: string; amount: Money; dueDate?: string }[];
  readonly rateCard: readonly RateCardLine[];
}

/** The PSA: creates are not idempotent (Kantata), so the workflow looks before it creates. */
export interface PsaPort {
  findProjectByExternalReference(externalReference: string): Promise<{ id: string } | undefined>;
  /** Creates the project shell: the project, its tasks, milestones and rate card; returns the PSA id of each milestone by name. */
  createProject(project: PsaProjectDraft): Promise<{ id: string; milestoneIds: Readonly<Record<string, string>> }>;
  /** Adds whatever part of the shell a create cut short left out (changes nothing on a complete one); returns the milestone ids. */
  completeProject(projectId: string, project: PsaProjectDraft): Promise<{ milestoneIds: Readonly<Record<string, string>> }>;
}

/** What the workflow writes back to the CRM deal. */
export interface CrmWriteBack {
  readonly erpCustomerId?: string;
  readonly erpProjectId?: string;
  readonly psaProjectId?: string;
  readonly syncStatus: 'synced' | 'needs-attention';
  readonly syncMessage: string;
}

/** The CRM side of the workflow. */
export interface CrmPort {
  writeBack(opportunityId: string, fields: CrmWriteBack): Promise<void>;
}
