/**
 * A Salesforce change event as Event Relay delivers it, as text, the way it sits in an SQS body: the
 * commit number is written into the text as given, since a JSON number above 2^53 cannot survive
 * JSON.stringify.
 */
export function relayedChangeEvent(header: Record<string, unknown>, fields: Record<string, unknown>, commitNumber: string): string {
  const detail = {
    payload: {
      ChangeEventHeader: {
        entityName: 'Opportunity',
        recordIds: ['006A'],
        changeType: 'UPDATE',
        changedFields: ['StageName'],
        changeOrigin: 'com/salesforce/ui',
        transactionKey: 'tx-1',
        sequenceNumber: 1,
        commitTimestamp: 1_795_000_000_000,
        commitNumber: 0,
        commitUser: '0050000000ALICE',
        ...header,
      },
      ...fields,
    },
  };
  return JSON.stringify({ version: '0', source: 'aws.partner/salesforce.com/00D/0YL', 'detail-type': 'OpportunityChangeEvent', detail }).replace(
    '"commitNumber":0',
    `"commitNumber":${commitNumber}`,
  );
}
