import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { adapters } from './adapters';
import { DynamoDbAuditTrail } from '../shared/audit-trail';
import { DynamoDbCrossReferenceRegistry } from '../shared/cross-reference/dynamodb-registry';
import { DurableExceptionRecorder } from '../shared/exceptions';
import { idempotencyConfig, idempotencyStore } from '../shared/idempotency';
import { documents } from '../shared/clients/dynamodb';
import { publishCanonical } from '../shared/canonical-bus';
import { sqs } from '../shared/clients/sqs';
import { deploymentConfig, logger, metrics, requiredEnvironment } from '../shared/runtime';
import { vendorSecret } from './secrets';
import { regionLimiter } from './vendor-limiter';
import { DynamoDbBillingLedger } from '../dynamodb/billing-ledger';
import { type StepDependencies, type TaskInput, stepHandlers } from '../opportunity-to-project/step-handlers';

type StepName = keyof ReturnType<typeof stepHandlers>;

/** Payload retention for audit entries, in days. */
const AUDIT_RETENTION_DAYS = 400;

const exceptions = () => new DurableExceptionRecorder(documents(), requiredEnvironment('EXCEPTIONS_TABLE_NAME'), sqs(), requiredEnvironment('EXCEPTION_QUEUE_URL'));

/** The real dependencies of a step, bound to its execution for audit entries. */
function dependencies(input: TaskInput): StepDependencies {
  const config = deploymentConfig();
  const optional = (name: string) => process.env[name];
  const audit = optional('AUDIT_TABLE_NAME') ? new DynamoDbAuditTrail(documents(), requiredEnvironment('AUDIT_TABLE_NAME'), AUDIT_RETENTION_DAYS) : { record: async () => undefined };
  // Opportunity to project is a master-data flow: it leaves the reserved slots to billing.
  const limiter = optional('IDEMPOTENCY_TABLE_NAME') ? regionLimiter('other') : undefined;
  const ports = adapters(config, vendorSecret, { audit, execution: input.execution, correlationId: input.state.event.correlationId }, limiter);
  return {
    config,
    region: requiredEnvironment('AWS_REGION'),
    registry: new DynamoDbCrossReferenceRegistry(documents(), optional('CROSS_REFERENCES_TABLE_NAME') ?? 'unused'),
    erpFor: ports.erpFor,
    psaFor: ports.psaFor,
    crmFor: ports.crmFor,
    publish: (event) => publishCanonical('ps-sync.opportunity-to-project', [event]),
    recordContract: (contract) => new DynamoDbBillingLedger(documents(), requiredEnvironment('BILLING_LEDGER_TABLE_NAME')).recordContract(contract),
    recordException: async (exception) => {
      await exceptions().record(exception, new Date());
    },
    resolveException: async (key, resolvedBy) => {
      const { resolved } = await exceptions().resolve(key, resolvedBy, new Date());
      if (resolved) logger.info('Open exception resolved by a successful run', { entityId: key.entityId });
    },
    now: () => new Date(),
  };
}

/**
 * Runs one Task state. Vendor-writing steps are wrapped in Powertools idempotency keyed by the
 * execution name, so a duplicate invocation of a step that already succeeded returns its stored
 * result without calling the vendor again; a failed attempt leaves no record and is retried.
 */
export function taskHandler(step: StepName, options: { idempotent: boolean }) {
  const config = idempotencyConfig('execution');
  const run = async (input: TaskInput) => {
    logger.appendKeys({ correlationId: input.state.event.correlationId, execution: input.execution });
    const result = await stepHandlers(dependencies(input))[step](input);
    logger.info(`${step} done`, { outcome: (result as { outcome?: string }).outcome ?? 'ok' });
    if ((result as { outcome?: string }).outcome === 'switched-off') logger.info('Flow switched off; nothing happens', { reason: (result as { reason?: string }).reason });
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(), config }) : run;
  return async (input: TaskInput, context: Context) => {
    config.registerLambdaContext(context);
    try {
      return await wrapped(input);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
