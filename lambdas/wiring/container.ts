import type { DeploymentConfig } from '../../canonical';
import { deploymentConfig } from '../common/runtime';
import { declarationOf, type FunctionEnvironment, FunctionEnvironmentError, functionEnvironment } from './function-environment';

/**
 * The rules of each kind of flow, in one place:
 * - `sync`: master data and status updates. Vendor calls hold the instance's slots but leave the
 *   slots reserved for billing free; every write is recorded in the audit trail.
 * - `billing`: a billing run's steps. Vendor calls may take the reserved slots; writes are audited.
 * - `read`: polls and the intake's re-reads. Vendor calls hold non-reserved slots; a read flow writes
 *   no business record, so a write reaching the audit trail is refused as a defect, not dropped.
 */
export type FlowRule = 'sync' | 'billing' | 'read';

/** What each flow rule decides: which slots its vendor calls may take, and whether its writes are audited. */
export const FLOW_RULES: Readonly<Record<FlowRule, { readonly limiter: 'billing' | 'other'; readonly audited: boolean }>> = {
  sync: { limiter: 'other', audited: true },
  billing: { limiter: 'billing', audited: true },
  read: { limiter: 'other', audited: false },
};

/**
 * One function's container, checked at cold start: its environment against its declared uses, and,
 * when it calls vendors, that its declaration gives the flow rule what the rule needs (the limiter's
 * slots live in the idempotency table; audited flows need the audit table). The pieces a handler uses
 * (`vendorPorts`, `billingLedger`, `canonicalPublisher`, ...) are built from it by the other modules of
 * `wiring/`, one module per AWS client, so a function's bundle carries only the clients it uses.
 */
export interface Container {
  readonly functionId: string;
  readonly env: FunctionEnvironment;
  readonly config: DeploymentConfig;
  readonly clock: () => Date;
  /** The function's flow rule, when it calls vendors. */
  readonly flow?: FlowRule;
  /** The function's timeout, from its declaration. */
  readonly timeoutSeconds: number;
  /** Whether the function consumes a queue (a failed record then costs a receive towards the DLQ). */
  readonly consumesQueue: boolean;
}

/** The container of a function, by its id in `lib/topology/`. */
export function container(functionId: string, flow?: FlowRule): Container {
  const env = functionEnvironment(functionId);
  const { file, declaration, consumesQueue } = declarationOf(functionId);
  if (flow !== undefined) {
    const needs: [boolean, string][] = [
      [env.declares('vendorSecrets'), "{ kind: 'vendorSecrets', roles: [...] } (or vendors: [...])"],
      [env.declares('table', 'idempotency'), "{ kind: 'table', table: 'idempotency' } (the vendor limiter's slots)"],
      [!FLOW_RULES[flow].audited || env.declares('table', 'audit'), "{ kind: 'table', table: 'audit' } (its writes are audited)"],
    ];
    for (const [ok, use] of needs)
      if (!ok) throw new FunctionEnvironmentError(`${functionId} runs the ${flow} flow rule but does not declare ${use} in ${file}`);
  }
  return {
    functionId,
    env,
    config: deploymentConfig(),
    clock: () => new Date(),
    timeoutSeconds: declaration.timeoutSeconds,
    consumesQueue,
    ...(flow ? { flow } : {}),
  };
}

/** A value made on first use and kept for the container (a cold start builds only what it uses). */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
