import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReconciliationReport, ReconciliationReports } from '../ports/reconciliation-reports';

/**
 * Reconciliation reports in the idempotency table, beside the poll and reconciliation checkpoints: one
 * item per legal entity and period, `id` `reconciliation-report#<legal entity>#<yyyy-mm>`, the report as
 * JSON in `report`. No `expiration`, so the table's TTL never removes it; the next run of the period
 * replaces it. Ids and amounts only, never personal data.
 */
export class DynamoDbReconciliationReports implements ReconciliationReports {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  static key(legalEntityId: string, period: string): { id: string } {
    return { id: `reconciliation-report#${legalEntityId}#${period}` };
  }

  async save(report: ReconciliationReport): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...DynamoDbReconciliationReports.key(report.legalEntityId, report.period), ranAt: report.ranAt, report: JSON.stringify(report) },
      }),
    );
  }

  async load(legalEntityId: string, period: string): Promise<ReconciliationReport | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: DynamoDbReconciliationReports.key(legalEntityId, period), ConsistentRead: true }),
    );
    return typeof result.Item?.report === 'string' ? (JSON.parse(result.Item.report) as ReconciliationReport) : undefined;
  }
}
