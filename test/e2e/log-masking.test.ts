import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDeclaration } from '../../lib/topology/declarations';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// End to end: a HubSpot deal of a company with a distinctive name and address is won on the local
// stack with DEBUG logs, and no function's log line may carry the company, the deal or the address.
// The handlers log ids and outcomes, not payloads; so that the test proves the masking rather than
// their restraint, each function also logs its whole invocation event at DEBUG first (what a
// developer's debug line or Powertools' logEvent would print): the Step Functions state with the
// canonical deal, the SQS record bodies (JSON in a string), the webhook request.

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const COMPANY = 'Quillfeather Orchards';
const DEAL = 'Quillfeather orchard replanting';
const CITY = 'Zanzibar Heights';
const STREET = '17 Marrowbone Close';
const POSTAL_CODE = '40404-7788';

// Under the repository (CDK wants entries under the project root), where no tool of the repository looks.
const cache = join(REPOSITORY_ROOT, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const wrappers = mkdtempSync(join(cache, 'log-masking-e2e-'));

/** Each function's handler wrapped in one that first logs its invocation event at DEBUG, through the module logger. */
function loggingTheirEvents(workflows: readonly WorkflowDeclaration[]): WorkflowDeclaration[] {
  const importPath = (file: string) => JSON.stringify(join(REPOSITORY_ROOT, file).replace(/\.ts$/, ''));
  return workflows.map((wf) => ({
    ...wf,
    functions: wf.functions.map((fn) => {
      const file = join(wrappers, `${fn.id}.ts`);
      writeFileSync(
        file,
        [
          `import { logger } from ${importPath('lambdas/common/runtime.ts')};`,
          `import { handler as wrapped } from ${importPath(fn.entry)};`,
          `export const handler = async (event: unknown, context: unknown) => {`,
          `  logger.debug('Invocation event', { event });`,
          `  return (wrapped as (event: unknown, context: unknown) => Promise<unknown>)(event, context);`,
          `};`,
          '',
        ].join('\n'),
      );
      return { ...fn, entry: relative(REPOSITORY_ROOT, file) };
    }),
  }));
}

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'DEBUG', printLogs: false, retryIntervalOverrides: shortRetries(), workflows: loggingTheirEvents(WORKFLOWS) });
}, 120_000);
afterAll(async () => {
  await env?.stop();
  rmSync(wrappers, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };

/** Every line every function logged, with the function's id. */
function allLogLines(): { fn: string; line: string }[] {
  return env.stack.topology.functions.flatMap((fn) => env.stack.logsOf(fn).map((line) => ({ fn, line })));
}

describe('personal data masked in every log line', () => {
  let correlationId: string;

  it('wins a deal of a company with a distinctive name and address, end to end, with DEBUG logs', async () => {
    const created = await fetch(`${env.hubspot.url}/__sandbox/deals`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        deal: {
          dealname: DEAL,
          dealstage: 'contractsent',
          amount: '125000',
          deal_currency_code: 'USD',
          closedate: '2026-11-20',
          ps_legal_entity: 'acme-us',
          ps_business_unit: 'delivery',
          ps_tax_profile: 'US-EXEMPT',
          ps_billing_terms: 'time-and-materials',
          ps_payment_terms: 'NET30',
          ps_contract_start: '2026-12-01',
        },
        company: { name: COMPANY, country: 'US', city: CITY, address: STREET, zip: POSTAL_CODE },
        lineItems: [
          { name: 'Consultant', price: '165.50', ps_line_type: 'rate', ps_effective_from: '2026-12-01' },
          { name: 'Discovery', ps_line_type: 'task', ps_estimated_hours: '40' },
        ],
      }),
    });
    const { id: dealId } = (await created.json()) as { id: string };

    await fetch(`${env.hubspot.url}/__sandbox/deals/${dealId}/set`, { method: 'POST', headers: json, body: JSON.stringify({ dealstage: 'closedwon' }) });
    await env.settled();

    const executions = env.stack.stepFunctions.executions;
    expect(executions.map((e) => [e.name, e.status])).toEqual([[`hubspot-main-${dealId}-r1`, 'SUCCEEDED']]);
    // The company reached the ERP whole: what is masked in the logs is not lost in the flow.
    expect(JSON.stringify(env.netsuite.us.records('customer'))).toContain(COMPANY);
    correlationId = /"correlationId":"([^"]+)"/.exec(executions[0]!.input)![1]!;
  }, 120_000);

  it('logs the deal through several functions, the events included, with the correlation id', () => {
    const lines = allLogLines();
    const withCorrelation = new Set(lines.filter((l) => l.line.includes(correlationId)).map((l) => l.fn));
    const events = lines.filter((l) => (JSON.parse(l.line) as { message?: string }).message === 'Invocation event');

    expect(withCorrelation.size).toBeGreaterThanOrEqual(5);
    expect(new Set(events.map((l) => l.fn)).size).toBeGreaterThanOrEqual(5);
    // Masked keys stay on the line, so a reader sees something was there.
    expect(events.some((l) => l.line.includes('"name":"***"') && l.line.includes('"billingAddress":"***"'))).toBe(true);
  });

  it("has no function's log line carrying the company's name, the deal's name or the company's address", () => {
    const leaks = allLogLines().filter(({ line }) => [COMPANY, DEAL, CITY, STREET, POSTAL_CODE, 'Quillfeather'].some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
