import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import aslValidator from 'asl-validator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvoicePostedEvent } from '../../canonical';
import { VendorThrottledError, VendorUnavailableError } from '../../lambdas/common/errors';
import type { BusinessException } from '../../lambdas/common/exceptions';
import { DynamoDbBillingLedger } from '../../lambdas/dynamodb/billing-ledger';
import type { ErpInvoiceDraft } from '../../lambdas/ports/erp';
import type { PsaInvoice } from '../../lambdas/ports/psa';
import { BILLED_IDS_PAGE_SIZE } from '../../lambdas/time-to-invoice/billing-steps';
import { billingStepHandlers } from '../../lambdas/time-to-invoice/step-handlers';
import { TABLE_KEYS } from '../../lib/topology/tables';
import { timeToInvoice } from '../../lib/topology/time-to-invoice';
import { type JsonValue, startStepFunctions } from '../../local/aws/step-functions';
import { recordingInvoicing, recordingPsaBilling } from '../support/billing-run-fixture';
import { contractFixture } from '../support/contract-fixture';
import { startDynalite } from '../support/dynalite';
import { exampleConfig } from '../support/example-config';

// time-to-invoice.asl.json run by aws-local-stepfunctions, its tasks bound to the ledger on dynalite
// and fakes of the vendor ports.
const declaration = timeToInvoice.stateMachines[0]!;
const definition = readFileSync(join(__dirname, '..', '..', declaration.definitionFile), 'utf8').replace(
  /\$\{(\w+)\}/g,
  (_, p: string) => `arn:aws:lambda:us-east-1:000000000000:function:${declaration.tasks[p]}`,
);
const call = { vendor: 'netsuite', instance: 'netsuite-us', operation: 'upsert invoice' };

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite('ledger', TABLE_KEYS.billingLedger);
});
afterAll(async () => db.close());
const running: { close(): Promise<void> }[] = [];
afterEach(async () => Promise.all(running.splice(0).map((s) => s.close())));

let n = 0;
async function world(entries: number) {
  const psa = { instance: 'kantata-global', projectId: `sm${++n}` };
  const ledger = new DynamoDbBillingLedger(db.documents, 'ledger');
  await ledger.recordContract(contractFixture(psa, { hourlyRate: '200' }));
  for (let i = 0; i < entries; i++)
    await ledger.recordWork(
      psa,
      { kind: 'time', item: { id: `t${i}`, workDate: '2026-11-10', role: 'Consultant', hours: '1', billable: true } },
      '2026-11-12T00:00:00Z',
    );
  const posted: ErpInvoiceDraft[] = [];
  const erpFailures: Error[] = [];
  const recorded: PsaInvoice[] = [];
  const published: InvoicePostedEvent[] = [];
  const exceptions: BusinessException[] = [];
  const config = exampleConfig();
  const handlers = billingStepHandlers({
    config: {
      ...config,
      vendorInstances: config.vendorInstances.map((v) =>
        v.id === 'netsuite-us' ? { ...v, invoiceItems: { time: '101', expense: '102', milestone: '103', retainer: '103' } } : v,
      ),
    },
    ledger,
    invoicingFor: () => recordingInvoicing(posted, 'INV000001', erpFailures),
    psaBillingFor: () => recordingPsaBilling(recorded, 'k1'),
    publish: async (e) => void published.push(e),
    recordException: async (e) => void exceptions.push(e),
    countPosted: () => undefined,
    now: () => new Date('2026-12-01T07:00:00Z'),
  }) as unknown as Record<string, (input: JsonValue) => Promise<JsonValue>>;
  const execute = async () => {
    const sfn = await startStepFunctions({
      region: 'us-east-1',
      stateMachines: [
        {
          name: declaration.id,
          definition,
          invokeResource: (arn) => handlers[arn.split(':').pop()!],
          retryIntervalOverrides: Object.fromEntries(Object.values(declaration.tasks).map((t) => [t, 1])),
        },
      ],
    });
    running.push(sfn);
    const client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: sfn.arnOf(declaration.id),
        name: `kantata-global-${psa.projectId}-2026-11-r1`,
        input: JSON.stringify({ psa, periodStart: '2026-11-01', periodEnd: '2026-11-30', correlationId: 'c-1' }),
      }),
    );
    await sfn.executions[0]!.done;
    return client.send(new DescribeExecutionCommand({ executionArn }));
  };
  return { psa, ledger, posted, erpFailures, recorded, published, exceptions, execute };
}

describe('time-to-invoice.asl.json', () => {
  it('is valid Amazon States Language, as is every state machine file', () => {
    for (const file of readdirSync(join(__dirname, '..', '..', 'state-machines'))) {
      // Placeholders are substituted with function ARNs at deploy time, as here.
      const text = readFileSync(join(__dirname, '..', '..', 'state-machines', file), 'utf8').replace(
        /\$\{(\w+)\}/g,
        'arn:aws:lambda:us-east-1:000000000000:function:$1',
      );
      const { isValid, errorsText } = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
      expect(isValid, `${file}: ${errorsText('\n')}`).toBe(true);
    }
  });

  it('happy path: one invoice posted, its work marked billed page by page in the Map, the invoice recorded in the PSA and announced', async () => {
    const w = await world(BILLED_IDS_PAGE_SIZE + 3);

    const result = await w.execute();

    expect(result.status).toBe('SUCCEEDED');
    expect(w.posted).toHaveLength(1);
    expect(w.recorded[0]!.timeEntryIds).toHaveLength(BILLED_IDS_PAGE_SIZE + 3);
    expect(w.published.map((e) => e.payload.invoiceNumber)).toEqual(['INV000001']);
    expect(await w.ledger.invoiceOf(w.psa, '2026-11-01')).toMatchObject({ status: 'marked', pages: 2 });
    // The execution carries page numbers, never the entries.
    expect(Buffer.byteLength(JSON.stringify(JSON.parse(result.output ?? '{}')))).toBeLessThan(2_000);
  });

  it('nothing to bill: succeeds without posting', async () => {
    const w = await world(0);

    const result = await w.execute();

    expect([result.status, JSON.parse(result.output!).draft.status]).toEqual(['SUCCEEDED', 'nothing-to-bill']);
    expect(w.posted).toEqual([]);
  });

  it('the ERP throttled twice, then success: the state machine retries, one invoice', async () => {
    const w = await world(2);
    w.erpFailures.push(new VendorThrottledError(call), new VendorThrottledError(call));

    expect((await w.execute()).status).toBe('SUCCEEDED');
    expect(w.posted).toHaveLength(1);
  });

  it('the ERP unavailable until retries are exhausted: the run fails at PostInvoice, off the business path, to be redriven from there', async () => {
    const w = await world(2);
    w.erpFailures.push(...Array.from({ length: 10 }, () => new VendorUnavailableError(call, 'HTTP 503')));

    const result = await w.execute();

    expect(result).toMatchObject({ status: 'FAILED', error: 'VendorUnavailable' });
    expect(w.exceptions).toEqual([]);
    expect(w.posted).toEqual([]);
  });
});
