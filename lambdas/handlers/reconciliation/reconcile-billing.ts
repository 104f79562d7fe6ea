import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type Money, majorUnits } from '../../../canonical/primitives';
import { MaskingLogFormatter, maskingOptionsFromEnv } from '../../common/log-masking';
import { logInvocationEvent, metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import type { ContractRecord } from '../../ports/billing-ledger';
import type { ReconciliationReport } from '../../ports/reconciliation-reports';
import { contractsByLegalEntity, periodRange, reconcileBilling, scheduledPeriods } from '../../reconciliation/reconcile';
import { approvedUnbilledValue } from '../../time-to-invoice/unbilled-work';
import { container } from '../../wiring/container';
import { reconcileDependencies, reconciliationReports } from '../../wiring/reconciliation';
import { billingLedger } from '../../wiring/tables';

const c = container('ReconcileBilling', 'sync');
const dependencies = reconcileDependencies(c);
const reports = reconciliationReports(c);
const ledger = billingLedger(c);
/** The ops API's requests log here (a queue record logs through its own record logger). */
const opsLogger = new Logger({ logFormatter: new MaskingLogFormatter(maskingOptionsFromEnv()) });

/** From the daily schedule (`{ reason: 'schedule' }`: every legal entity of the region, two months), or for one legal entity and month. */
const ReconciliationRequest = z.union([
  z.object({ reason: z.literal('schedule') }),
  z.object({ reason: z.literal('manual'), legalEntity: z.string().min(1), period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/) }),
]);

function legalEntityOf(id: string) {
  return c.config.legalEntities.find((e) => e.id === id && e.region === c.env.region);
}

/** Runs one legal entity and month and logs its summary: counts and money at stake per kind, ids only. */
async function run(
  legalEntityId: string,
  period: string,
  contracts: readonly ContractRecord[],
  correlationId: string,
  log: Logger,
): Promise<ReconciliationReport> {
  const entity = legalEntityOf(legalEntityId);
  if (entity === undefined) throw new Error(`${legalEntityId} is not a legal entity of region ${c.env.region}`);
  const execution = `reconcile-${legalEntityId}-${period}`;
  const report = await reconcileBilling({ legalEntity: entity, period, correlationId, contracts }, dependencies({ execution, correlationId }));
  const repaired = report.findings.filter((f) => f.status === 'repaired').length;
  metrics.addMetric('Reconciliation-findings', 'Count', report.findings.length);
  metrics.addMetric('Reconciliation-repaired', 'Count', repaired);
  log.info('Billing reconciled', { legalEntityId, period, compared: report.compared, summary: report.summary, repaired });
  return report;
}

/**
 * The legal entity's approved work not yet on an invoice, valued as billing would bill it today: the
 * money-at-risk metric `ApprovedUnbilledValue` (per legal entity and currency, major units), once a run.
 */
async function publishUnbilled(legalEntityId: string, contracts: readonly ContractRecord[], log: Logger): Promise<void> {
  const today = c.clock().toISOString().slice(0, 10);
  const unbilled = await approvedUnbilledValue(ledger, contracts, today);
  for (const [currency, amountMinor] of Object.entries(unbilled)) {
    const metric = metrics.singleMetric();
    metric.addDimensions({ legalEntity: legalEntityId, currency });
    metric.addMetric('ApprovedUnbilledValue', MetricUnit.NoUnit, majorUnits({ amountMinor, currency } as Money).toNumber());
  }
  // As Money, so a deployment that masks amounts masks these too.
  log.info('Approved unbilled work valued', {
    legalEntityId,
    unbilled: Object.entries(unbilled).map(([currency, amountMinor]) => ({ amountMinor, currency })),
  });
}

async function consume(message: SQSRecord, _context: Context, log: Logger): Promise<void> {
  const request = ReconciliationRequest.parse(JSON.parse(message.body));
  const correlationId = `reconcile-${message.messageId}`;
  log.appendKeys({ correlationId });
  // Every contract read once for the message: its legal entities, their months and the unbilled value share it.
  const contracts = await contractsByLegalEntity(ledger);
  const entities = request.reason === 'manual' ? [request.legalEntity] : c.config.legalEntities.filter((e) => e.region === c.env.region).map((e) => e.id);
  const periods = request.reason === 'manual' ? [request.period] : scheduledPeriods(c.clock());
  for (const entity of entities) {
    const ofEntity = contracts.get(entity) ?? [];
    for (const period of periods) await run(entity, period, ofEntity, correlationId, log);
    await publishUnbilled(entity, ofEntity, log);
  }
}

const consumer = sqsConsumer(consume);

const answer = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The ops API's `reconcile run` (POST: runs and answers the report) and `reconcile report` (GET: the stored report). */
async function opsRequest(request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { legalEntity = '', period = '' } = request.pathParameters ?? {};
  try {
    periodRange(period);
  } catch {
    return answer(400, { message: `${period} is not a month (yyyy-mm)` });
  }
  if (legalEntityOf(legalEntity) === undefined) return answer(404, { message: `${legalEntity} is not a legal entity of region ${c.env.region}` });
  const correlationId = request.requestContext.requestId;
  if (request.httpMethod === 'POST') {
    const report = await run(legalEntity, period, (await contractsByLegalEntity(ledger)).get(legalEntity) ?? [], correlationId, opsLogger);
    return answer(200, { report });
  }
  const report = await reports.load(legalEntity, period);
  return report ? answer(200, { report }) : answer(404, { message: `no reconciliation of ${legalEntity} ${period} yet` });
}

/** Consumes ReconciliationRequests, and answers the ops API's reconciliation routes. */
export const handler = async (event: SQSEvent | APIGatewayProxyEvent, context: Context) => {
  if ('httpMethod' in event) {
    // The queue's records are logged by the consumer; the ops API's request here (when event logging is on).
    logInvocationEvent(event);
    const result = await opsRequest(event);
    opsLogger.info('ops command answered', { route: `${event.httpMethod} ${event.resource}`, statusCode: result.statusCode });
    return result;
  }
  return consumer(event, context);
};
