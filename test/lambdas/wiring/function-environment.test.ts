import { afterEach, describe, expect, it, vi } from 'vitest';
import { container } from '../../../lambdas/wiring/container';
import { declarationOf, functionEnvironment } from '../../../lambdas/wiring/function-environment';
import { vendorPorts } from '../../../lambdas/wiring/vendor-ports';
import { environmentVariableFor } from '../../../lib/topology/declarations';
import { exampleConfigInput } from '../../support/example-config';

/** The environment the stack gives a function: the base variables and one per use (declared, or implied by a route). */
function environmentOf(functionId: string): Record<string, string> {
  const { declaration } = declarationOf(functionId);
  const env: Record<string, string> = { AWS_REGION: 'eu-west-1', IDEMPOTENCY_TTL_SECONDS: '604800', WEBHOOK_MAX_BODY_BYTES: '1048576' };
  for (const use of declaration.uses) {
    const name = environmentVariableFor(use);
    if (name) env[name] = `value-of-${name}`;
  }
  return env;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a function environment', () => {
  it('gives the declared resources of a complete environment', () => {
    // Prepare
    const env = environmentOf('PostInvoice');

    // Act
    const fn = functionEnvironment('PostInvoice', env);

    // Assess
    expect(fn.tableName('billingLedger')).toBe('value-of-BILLING_LEDGER_TABLE_NAME');
    expect(fn.region).toBe('eu-west-1');
    expect(fn.idempotencyTtlSeconds).toBe(604800);
    expect(fn.declares('table', 'audit')).toBe(true);
    expect(fn.declares('eventBus')).toBe(false);
  });

  it('refuses to start without a variable a declared use implies, naming it and the topology entry', () => {
    const env = environmentOf('RecordInvoiceInPsa');
    delete env.AUDIT_TABLE_NAME;

    expect(() => functionEnvironment('RecordInvoiceInPsa', env)).toThrow(
      "Environment variable AUDIT_TABLE_NAME is not set, though the function declares the use { kind: 'table', table: 'audit' } (RecordInvoiceInPsa in lib/topology/time-to-invoice.ts)",
    );
  });

  it('refuses an empty variable as it refuses a missing one', () => {
    const env = { ...environmentOf('StartOpportunityToProject'), OPPORTUNITY_TO_PROJECT_STATE_MACHINE_ARN: '' };

    expect(() => functionEnvironment('StartOpportunityToProject', env)).toThrow(/OPPORTUNITY_TO_PROJECT_STATE_MACHINE_ARN is not set/);
  });

  it('checks only the uses of its own function, not those of functions sharing its code', () => {
    // DraftInvoice shares the billing task wiring with PostInvoice but declares only the ledger.
    const env = environmentOf('DraftInvoice');

    expect(() => functionEnvironment('DraftInvoice', env)).not.toThrow();
    expect(env.AUDIT_TABLE_NAME).toBeUndefined();
  });

  it('refuses a resource the function uses without declaring it', () => {
    const fn = functionEnvironment('DraftInvoice', environmentOf('DraftInvoice'));

    expect(() => fn.tableName('audit')).toThrow(
      "DraftInvoice uses the audit table but does not declare { kind: 'table', table: 'audit' } in lib/topology/time-to-invoice.ts",
    );
    expect(() => fn.eventBusName()).toThrow(/does not declare \{ kind: 'eventBus' \}/);
  });

  it("knows a route's function gets the webhook base URL, which signatures are checked against", () => {
    const env = environmentOf('ReceiveHubSpotWebhook');

    expect(functionEnvironment('ReceiveHubSpotWebhook', env).webhookPublicBaseUrl()).toBe('value-of-WEBHOOK_PUBLIC_BASE_URL');
    expect(() => functionEnvironment('ReceiveHubSpotWebhook', { ...env, WEBHOOK_PUBLIC_BASE_URL: '' })).toThrow(/WEBHOOK_PUBLIC_BASE_URL is not set/);
  });

  it('refuses a function the topology does not declare', () => {
    expect(() => functionEnvironment('PostInvoices', {})).toThrow('No function PostInvoices is declared in lib/topology/');
  });
});

describe('the container of a function', () => {
  it('refuses a flow rule whose needs the declaration does not meet, at cold start', () => {
    // Prepare: a read flow's function, wired as an audited one.
    for (const [name, value] of Object.entries(environmentOf('PollKantataApprovedWork'))) vi.stubEnv(name, value);

    // Act, Assess
    expect(() => container('PollKantataApprovedWork', 'sync')).toThrow(
      "PollKantataApprovedWork runs the sync flow rule but does not declare { kind: 'table', table: 'audit' } (its writes are audited) in lib/topology/time-to-invoice.ts",
    );
  });

  it('refuses a flow rule for a function that reads no vendor secrets', () => {
    for (const [name, value] of Object.entries(environmentOf('RecordApprovedWork'))) vi.stubEnv(name, value);

    expect(() => container('RecordApprovedWork', 'read')).toThrow(
      /RecordApprovedWork runs the read flow rule but does not declare \{ kind: 'vendorSecrets', roles: \[\.\.\.\] \}/,
    );
  });

  it('refuses vendor calls from a function wired without a flow rule', () => {
    for (const [name, value] of Object.entries(environmentOf('ReceiveHubSpotWebhook'))) vi.stubEnv(name, value);
    vi.stubEnv('DEPLOYMENT_CONFIG_JSON', JSON.stringify(exampleConfigInput()));
    const c = container('ReceiveHubSpotWebhook');

    expect(() => vendorPorts(c)).toThrow('ReceiveHubSpotWebhook calls vendors but its wiring names no flow rule');
  });
});
