/**
 * The CRM as the workflows see it: the deal's sync status and the ids of what was made for it, and
 * billing health on the customer's account.
 */

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

/** Billing health as the CRM shows it on the customer's account. */
export interface BillingHealth {
  readonly status: 'invoiced' | 'paid' | 'overdue';
  readonly lastInvoiceNumber: string;
  readonly lastInvoiceDate: string;
  /** The invoice total in major units with its currency, as a person reads it: `3247.25 USD`. */
  readonly lastInvoiceTotal: string;
}

/** The CRM's billing side: billing health on the customer's account. */
export interface CrmBillingPort {
  writeBillingHealth(accountId: string, health: BillingHealth): Promise<void>;
}
