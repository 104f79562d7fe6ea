import { soqlString } from '../common/salesforce-platform/rest-client';
import { CERTINIA_FIELDS, CERTINIA_OBJECTS, type CertiniaObjectKind, type CertiniaRecord, TIMECARD_ROLE_FIELDS } from './approved-work';

/** The SOQL side of the Salesforce REST client (`SalesforceRestClient`), which a Certinia org answers too. */
export interface SoqlClient {
  query<T>(operation: string, soql: string): Promise<T[]>;
}

/**
 * Certinia's records through its org's REST API. A Certinia org is a Salesforce org with the managed
 * package, so reads go through the Salesforce client (token refresh, API allocation, error codes):
 * one SOQL query per record, selecting what `approved-work` judges, a timecard's role included through
 * its parent relationships.
 */
export class CertiniaPsa {
  constructor(private readonly soql: SoqlClient) {}

  /** The record as it is now; undefined once deleted (SOQL without ALL ROWS does not see it). */
  async read(kind: CertiniaObjectKind, recordId: string): Promise<CertiniaRecord | undefined> {
    const fields = ['Id', ...CERTINIA_FIELDS[kind], ...(kind === 'timecard' ? TIMECARD_ROLE_FIELDS : []), 'LastModifiedDate'];
    const [record] = await this.soql.query<CertiniaRecord>(
      `read ${CERTINIA_OBJECTS[kind]}`,
      `SELECT ${fields.join(', ')} FROM ${CERTINIA_OBJECTS[kind]} WHERE Id = ${soqlString(recordId)}`,
    );
    return record;
  }
}
