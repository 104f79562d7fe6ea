import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { type StepDependencies, stepHandlers, type TaskInput } from '../opportunity-to-project/step-handlers';
import { idempotencyConfig, idempotencyStore } from '../shared/idempotency';
import { logger, metrics } from '../shared/runtime';
import { type FlowRule, type Wiring, wiring } from './wiring';

type StepName = keyof ReturnType<typeof stepHandlers>;

/**
 * The dependencies of a step, bound to its execution for audit entries. Getters, so a step builds only
 * what it uses (ValidateOpportunity touches no table, and declares none).
 */
function dependencies(w: Wiring, input: TaskInput): StepDependencies {
  const ports = () => w.ports({ execution: input.execution, correlationId: input.state.event.correlationId });
  return {
    config: w.config,
    region: w.env.region,
    get registry() {
      return w.registry();
    },
    erpFor: (id) => ports().erpFor(id),
    psaFor: (id) => ports().psaFor(id),
    crmFor: (id) => ports().crmFor(id),
    publish: (event) => w.publish('ps-sync.opportunity-to-project', [event]),
    recordContract: (contract) => w.ledger().recordContract(contract),
    recordException: async (exception) => {
      await w.exceptions().record(exception, w.clock());
    },
    resolveException: async (key, resolvedBy) => {
      const { resolved } = await w.exceptions().resolve(key, resolvedBy, w.clock());
      if (resolved) logger.info('Open exception resolved by a successful run', { entityId: key.entityId });
    },
    now: w.clock,
  };
}

/**
 * The handler of one Task state of opportunity-to-project.asl.json (the function of the same id).
 * Vendor-writing steps are wrapped in Powertools idempotency keyed by the execution name, so a
 * duplicate invocation of a step that already succeeded returns its stored result without calling the
 * vendor again; a failed attempt leaves no record and is retried. Steps that call vendors run the
 * `sync` flow rule (master data).
 */
export function taskHandler(step: StepName, options: { idempotent: boolean; flow?: FlowRule }) {
  const w = wiring(step, options.flow);
  const config = idempotencyConfig('execution', w.env.idempotencyTtlSeconds);
  const run = async (input: TaskInput) => {
    logger.appendKeys({ correlationId: input.state.event.correlationId, execution: input.execution });
    const result = await stepHandlers(dependencies(w, input))[step](input);
    logger.info(`${step} done`, { outcome: (result as { outcome?: string }).outcome ?? 'ok' });
    if ((result as { outcome?: string }).outcome === 'switched-off')
      logger.info('Flow switched off; nothing happens', { reason: (result as { reason?: string }).reason });
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(w.env.tableName('idempotency')), config }) : run;
  return async (input: TaskInput, context: Context) => {
    config.registerLambdaContext(context);
    try {
      return await wrapped(input);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
