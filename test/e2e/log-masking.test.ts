import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// End to end: a HubSpot deal of a company with a distinctive name and address is won on the local
// stack with DEBUG logs and event logging on, and no function's log line may carry the company, the deal
// or the address. The handlers log ids and outcomes, not payloads; so that the test proves the masking
// rather than their restraint, every function runs with POWERTOOLS_LOGGER_LOG_EVENT=true, as a deployment
// that turns Powertools' event logging on would: each handler's wrapper logs its whole invocation event
// (the webhook request, the SQS record bodies as JSON in a string, the Step Functions state with the
// canonical deal) through the masking logger.

const COMPANY = 'Quillfeather Orchards';
const DEAL = 'Quillfeather orchard replanting';
const CITY = 'Zanzibar Heights';
const STREET = '17 Marrowbone Close';
const POSTAL_CODE = '40404-7788';
/** The message Powertools logs an invocation event with (`logEventIfEnabled`). */
const EVENT_MESSAGE = 'Lambda invocation event';
/** The functions a won HubSpot deal goes through, by entry: the webhook, the queues, the Step Functions tasks. */
const WEBHOOK = 'ReceiveHubSpotWebhook';
const QUEUE_CONSUMERS = ['HandleHubSpotDealEvent', 'StartOpportunityToProject'];
const TASKS = [
  'ClaimDealRevision',
  'ValidateOpportunity',
  'FindOrCreateErpCustomer',
  'CreatePsaProject',
  'AddPsaProjectPlan',
  'ApplyPsaRateCard',
  'CreateErpProject',
  'WriteBackToCrm',
  'PublishProjectActivated',
];

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'DEBUG', logEvent: true, printLogs: false, retryIntervalOverrides: shortRetries() });
}, 120_000);
afterAll(async () => env?.stop());

const json = { 'content-type': 'application/json' };

/** Every line every function logged, with the function's id. */
function allLogLines(): { fn: string; line: string }[] {
  return env.stack.topology.functions.flatMap((fn) => env.stack.logsOf(fn).map((line) => ({ fn, line })));
}

describe('personal data masked in every log line', () => {
  let correlationId: string;

  it('wins a deal of a company with a distinctive name and address, end to end, with DEBUG logs and event logging on', async () => {
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

  it('logs the invocation event of every function the deal went through, at each entry: webhook, queues, Step Functions tasks', () => {
    const lines = allLogLines().map(({ fn, line }) => ({ fn, line, parsed: JSON.parse(line) as { level?: string; message?: string; correlationId?: string } }));
    const events = lines.filter((l) => l.parsed.message === EVENT_MESSAGE);
    const eventsOf = (fn: string) => events.filter((l) => l.fn === fn);

    // The webhook's request, the queue consumers' batches and every task's state: each kind of wrapper logs it.
    for (const fn of [WEBHOOK, ...QUEUE_CONSUMERS, ...TASKS]) expect(eventsOf(fn).length, `${fn} logged its event`).toBeGreaterThanOrEqual(1);
    // No function ran without logging its event first (a handler outside the wrappers would show here).
    expect([...new Set(lines.map((l) => l.fn))].sort()).toEqual([...new Set(events.map((l) => l.fn))].sort());
    expect(new Set(events.map((l) => l.parsed.level))).toEqual(new Set(['INFO']));
    // A task's event line carries the execution's correlation id, not a previous invocation's.
    for (const fn of TASKS) expect(new Set(eventsOf(fn).map((l) => l.parsed.correlationId)), fn).toEqual(new Set([correlationId]));
    // The deal is logged in the events, the correlation id with it, through many functions.
    expect(new Set(lines.filter((l) => l.line.includes(correlationId)).map((l) => l.fn)).size).toBeGreaterThanOrEqual(TASKS.length);
    // Masked keys stay on the line, so a reader sees something was there: in the canonical deal of a task's
    // state, and inside the record bodies (JSON in a string) of a queue consumer's batch.
    expect(eventsOf('FindOrCreateErpCustomer').some((l) => l.line.includes('"name":"***"') && l.line.includes('"billingAddress":"***"'))).toBe(true);
    expect(eventsOf('StartOpportunityToProject').some((l) => l.line.includes('\\"name\\":\\"***\\"'))).toBe(true);
  });

  it("has no function's log line carrying the company's name, the deal's name or the company's address", () => {
    const leaks = allLogLines().filter(({ line }) => [COMPANY, DEAL, CITY, STREET, POSTAL_CODE, 'Quillfeather'].some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
