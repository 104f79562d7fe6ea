import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { idempotencyConfig, idempotencyStore } from '../common/idempotency';
import { logger, logInvocationEvent, metrics, publishMetrics } from '../common/runtime';
import { type StepDependencies, stepHandlers, type TaskInput } from '../opportunity-to-project/step-handlers';
import { canonicalPublisher } from './bus';
import { type Container, container, type FlowRule, once } from './container';
import { exceptionRecorder } from './exceptions';
import { billingLedger, crossReferences, writeJournal } from './tables';
import { vendorPorts } from './vendor-ports';

type StepName = keyof ReturnType<typeof stepHandlers>;

/** The steps that build the PSA project shell, each resuming from the write journal. */
const PSA_SHELL_STEPS: ReadonlySet<StepName> = new Set(['CreatePsaProject', 'AddPsaProjectPlan', 'ApplyPsaRateCard']);

/**
 * What a task function may build, each made on first use and kept for the container: a step builds
 * only what it uses (ValidateOpportunity touches no table, and declares none).
 */
function pieces(c: Container) {
  return {
    vendors: once(() => vendorPorts(c)),
    registry: once(() => crossReferences(c)),
    journal: once(() => writeJournal(c)),
    ledger: once(() => billingLedger(c)),
    exceptions: once(() => exceptionRecorder(c)),
    publish: once(() => canonicalPublisher(c)),
  };
}

/** The dependencies of a step, bound to its execution for audit entries. */
function dependencies(c: Container, built: ReturnType<typeof pieces>, step: StepName, input: TaskInput): StepDependencies {
  // The PSA shell's parts keep their progress in the journal; the other steps write nothing there.
  const journal = PSA_SHELL_STEPS.has(step) ? built.journal() : undefined;
  const ports = () => built.vendors().ports({ execution: input.execution, correlationId: input.state.event.correlationId, ...(journal ? { journal } : {}) });
  return {
    config: c.config,
    region: c.env.region,
    get registry() {
      return built.registry();
    },
    get journal() {
      return built.journal();
    },
    erpFor: (id) => ports().erpFor(id),
    psaFor: (id) => ports().psaFor(id),
    crmFor: (id) => ports().crmFor(id),
    publish: (event) => built.publish()('ps-sync.opportunity-to-project', [event]),
    recordContract: (contract) => built.ledger().recordContract(contract),
    recordException: async (exception) => {
      await built.exceptions().record(exception, c.clock());
    },
    resolveException: async (key, resolvedBy) => {
      const { resolved } = await built.exceptions().resolve(key, resolvedBy, c.clock());
      if (resolved) logger.info('Open exception resolved by a successful run', { entityId: key.entityId });
    },
    now: c.clock,
  };
}

/**
 * The handler of one Task state of opportunity-to-project.asl.json (the function of the same id).
 * Vendor-writing steps are wrapped in Powertools idempotency keyed by the execution name, so a
 * duplicate invocation of a step that already succeeded returns its stored result without calling the
 * vendor again; a failed attempt leaves no record and is retried. Steps that call vendors run the
 * `sync` flow rule (master data). The state is logged first when the function's environment asks for
 * it (`POWERTOOLS_LOGGER_LOG_EVENT`, `logInvocationEvent`).
 */
export function taskHandler(step: StepName, options: { idempotent: boolean; flow?: FlowRule }) {
  const c = container(step, options.flow);
  const built = pieces(c);
  const config = idempotencyConfig('execution', c.env.idempotencyTtlSeconds);
  const run = async (input: TaskInput) => {
    const result = await stepHandlers(dependencies(c, built, step, input))[step](input);
    logger.info(`${step} done`, { outcome: (result as { outcome?: string }).outcome ?? 'ok' });
    if ((result as { outcome?: string }).outcome === 'switched-off')
      logger.info('Flow switched off; nothing happens', { reason: (result as { reason?: string }).reason });
    metrics.addMetric(`${step}-succeeded`, 'Count', 1);
    return result;
  };
  const wrapped = options.idempotent ? makeIdempotent(run, { persistenceStore: idempotencyStore(c.env.tableName('idempotency')), config }) : run;
  return async (input: TaskInput, context: Context) => {
    config.registerLambdaContext(context);
    // This invocation's keys first, so that its lines, the event's included, carry its own ids (a
    // replayed idempotent step runs no `run`, and a warm container keeps the last invocation's keys).
    logger.appendKeys({ correlationId: input.state.event.correlationId, execution: input.execution });
    // The state, canonical deal masked, when POWERTOOLS_LOGGER_LOG_EVENT is true (runtime.ts).
    logInvocationEvent(input);
    try {
      return await wrapped(input);
    } finally {
      publishMetrics();
    }
  };
}
