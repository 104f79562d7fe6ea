import type { CrmFieldNames } from '../../canonical';
import { VendorRejectedError } from '../common/errors';
import { SalesforceRestClient, type SalesforceRestOptions, soqlString } from '../common/salesforce-platform/rest-client';
import type { BillingHealth, CrmBillingPort, CrmPort, CrmWriteBack } from '../ports/crm';
import { SALESFORCE_CONTRACT_FIELDS, type SalesforceOpportunitySnapshot, type SalesforceRecord } from './opportunity-mapping';
import type { WonDeal } from './reconcile-deals';

/** Options of {@link SalesforceCrm}: the org's REST client and the deal fields read and written. */
export interface SalesforceOptions extends SalesforceRestOptions {
  readonly fields: CrmFieldNames;
}

/** One item's outcome in an sObject Collections call. */
export interface CollectionResult {
  readonly id: string;
  readonly success: boolean;
  readonly errorCode?: string;
}

/**
 * The CRM port on Salesforce's REST API, through the Salesforce-platform client (allocation, token
 * refresh, error codes).
 */
export class SalesforceCrm implements CrmPort, CrmBillingPort {
  private readonly client: SalesforceRestClient;

  constructor(private readonly options: SalesforceOptions) {
    this.client = new SalesforceRestClient(options);
  }

  async writeBack(opportunityId: string, fields: CrmWriteBack): Promise<void> {
    const call = this.client.call('write back opportunity');
    const body = this.values(fields);
    const response = await this.client.send(call, 'PATCH', `/sobjects/Opportunity/${encodeURIComponent(opportunityId)}`, body);
    await this.client.audit({ recordType: 'opportunity', recordKey: opportunityId, operation: 'update' }, body, response, response.status === 204);
    if (response.status !== 204) throw this.client.errorFor(call, response);
  }

  /**
   * Creates or updates a record by an external id field (PATCH .../<ExtIdField>/<value>): 201 created,
   * 200 updated; 300 means several records carry the value, which is the data's fault, never retried.
   */
  async upsertByExternalId(
    sobject: string,
    externalIdField: string,
    externalId: string,
    values: Readonly<Record<string, unknown>>,
  ): Promise<{ id: string; created: boolean }> {
    const call = this.client.call(`upsert ${sobject} by ${externalIdField}`);
    const response = await this.client.send(
      call,
      'PATCH',
      `/sobjects/${encodeURIComponent(sobject)}/${encodeURIComponent(externalIdField)}/${encodeURIComponent(externalId)}`,
      values,
    );
    const ok = response.status === 200 || response.status === 201;
    await this.client.audit({ recordType: sobject.toLowerCase(), recordKey: externalId, operation: 'upsert' }, values, response, ok);
    if (response.status === 300) {
      const matches = response.json<string[]>() ?? [];
      throw new VendorRejectedError(
        call,
        300,
        'MULTIPLE_CHOICES',
        `${matches.length} ${sobject} records have ${externalIdField} = ${externalId}; make the external id unique`,
      );
    }
    if (!ok) throw this.client.errorFor(call, response);
    const body = response.json<{ id: string; created: boolean }>();
    return { id: String(body?.id), created: response.status === 201 };
  }

  /** Writes many opportunities with sObject Collections, 200 a call; each item's outcome is returned. */
  async writeBackMany(updates: readonly { opportunityId: string; fields: CrmWriteBack }[]): Promise<CollectionResult[]> {
    const call = this.client.call('write back opportunities (collections)');
    const results: CollectionResult[] = [];
    for (let start = 0; start < updates.length; start += 200) {
      const chunk = updates.slice(start, start + 200);
      const response = await this.client.send(call, 'PATCH', '/composite/sobjects', {
        allOrNone: false,
        records: chunk.map((u) => ({ attributes: { type: 'Opportunity' }, id: u.opportunityId, ...this.values(u.fields) })),
      });
      if (response.status !== 200) {
        for (const u of chunk)
          await this.client.audit({ recordType: 'opportunity', recordKey: u.opportunityId, operation: 'update' }, this.values(u.fields), response, false);
        throw this.client.errorFor(call, response);
      }
      const items = response.json<{ id: string; success: boolean; errors: { statusCode: string }[] }[]>() ?? [];
      for (const [i, item] of items.entries()) {
        const u = chunk[i]!;
        await this.client.audit(
          { recordType: 'opportunity', recordKey: u.opportunityId, operation: 'update' },
          this.values(u.fields),
          response,
          item.success,
          item.success ? undefined : item.errors[0]?.statusCode,
        );
        results.push({ id: item.id, success: item.success, ...(item.success ? {} : { errorCode: item.errors[0]?.statusCode ?? 'UNKNOWN' }) });
      }
    }
    return results;
  }

  async writeBillingHealth(accountId: string, health: BillingHealth): Promise<void> {
    const f = this.options.fields;
    const call = this.client.call('write billing health to account');
    const body = {
      [f.billingStatus]: health.status,
      [f.lastInvoiceNumber]: health.lastInvoiceNumber,
      [f.lastInvoiceDate]: health.lastInvoiceDate,
      [f.lastInvoiceTotal]: health.lastInvoiceTotal,
    };
    const response = await this.client.send(call, 'PATCH', `/sobjects/Account/${encodeURIComponent(accountId)}`, body);
    await this.client.audit({ recordType: 'account', recordKey: accountId, operation: 'update' }, body, response, response.status === 204);
    if (response.status !== 204) throw this.client.errorFor(call, response);
  }

  /** The opportunity, its account and line items, read in full before acting on a change; undefined when the org has no such opportunity. */
  async readOpportunity(opportunityId: string): Promise<SalesforceOpportunitySnapshot | undefined> {
    const opportunity = await this.client.find<SalesforceRecord>('read opportunity', `/sobjects/Opportunity/${encodeURIComponent(opportunityId)}`);
    if (opportunity === undefined) return undefined;
    const accountId = typeof opportunity.AccountId === 'string' ? opportunity.AccountId : undefined;
    const account = accountId ? await this.client.get<SalesforceRecord>('read account', `/sobjects/Account/${encodeURIComponent(accountId)}`) : undefined;
    const lineItems = await this.client.query<SalesforceRecord>(
      'read opportunity line items',
      `SELECT Id, ${SALESFORCE_CONTRACT_FIELDS.lineItem.join(', ')} FROM OpportunityLineItem WHERE OpportunityId = ${soqlString(opportunity.Id)}`,
    );
    return { opportunity, ...(account ? { account } : {}), lineItems };
  }

  /** Opportunities in a won stage modified at or after `since`, oldest first: reconciliation's input. */
  async wonOpportunitiesSince(wonStages: readonly string[], since: Date): Promise<WonDeal[]> {
    const legalEntity = this.options.fields.legalEntity;
    const records = await this.client.query<SalesforceRecord>(
      'query won opportunities',
      `SELECT Id, ${legalEntity}, CloseDate, LastModifiedDate FROM Opportunity WHERE StageName IN (${wonStages.map(soqlString).join(', ')}) AND LastModifiedDate >= ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')} ORDER BY LastModifiedDate`,
    );
    return records.map((r) => ({
      id: r.Id,
      legalEntityId: typeof r[legalEntity] === 'string' ? (r[legalEntity] as string) : undefined,
      closedAt: String(r.LastModifiedDate),
    }));
  }

  private values(fields: CrmWriteBack): Record<string, string> {
    const f = this.options.fields;
    return {
      [f.syncStatus]: fields.syncStatus,
      [f.syncMessage]: fields.syncMessage,
      ...(fields.erpCustomerId ? { [f.erpCustomerId]: fields.erpCustomerId } : {}),
      ...(fields.erpProjectId ? { [f.erpProjectId]: fields.erpProjectId } : {}),
      ...(fields.psaProjectId ? { [f.psaProjectId]: fields.psaProjectId } : {}),
    };
  }
}
