import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestoneKey } from '../../lambdas/common/billing-keys';
import { DynamoDbBillingLedger } from '../../lambdas/dynamodb/billing-ledger';
import type { PsaProjectRef } from '../../lambdas/ports/psa';
import { draftInvoice } from '../../lambdas/time-to-invoice/billing-engine';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { contractFixture } from '../support/contract-fixture';

// End to end with Certinia as the PSA: people submit and approve work in the Certinia sandbox; its
// change events reach the local stack only through the partner event bus, as Event Relay delivers
// them; the intake re-reads each record and publishes approved work, which RecordApprovedWork keeps in
// the billing ledger.
let env: LocalEnvironment;
let ledger: DynamoDbBillingLedger;
let documents: DynamoDBDocumentClient;
let project: string;
let psa: PsaProjectRef;
let resource: string;
let assignment: string;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT' });
  const dynamo = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  documents = DynamoDBDocumentClient.from(dynamo, { unmarshallOptions: { wrapNumbers: true } });
  ledger = new DynamoDbBillingLedger(documents, env.stack.tableNames.billingLedger);
  project = await env.certinia.createProject({ name: 'Initech rollout', currency: 'USD', startDate: '2026-11-01' });
  resource = await env.certinia.createResource({ firstName: 'Ada', lastName: 'Byron', role: 'Analyst' });
  assignment = await env.certinia.createAssignment({ project, resource, role: 'Consultant', billRate: 165.5 });
  psa = { instance: 'certinia-main', projectId: project };
  // The contract opportunity to project would have recorded for this project (no CRM deal makes a
  // Certinia project yet): the ledger keeps work for any project, billing runs bill it by its contract.
  await ledger.recordContract(contractFixture(psa));
  await env.settled();
}, 120_000);
afterAll(async () => env?.stop());

const timeOf = async () => (await ledger.workOf(psa)).time.map((t) => [t.id, t.workDate, t.hours, t.role, t.billable]).sort();
/** The hours the ledger holds for one day of a timecard. */
const hoursOn = async (timecard: string, day: string) => (await timeOf()).find(([id]) => id === `${timecard}:${day}`)?.[2];
/** Open exceptions recorded for the days of a timecard: `[entity id, reason]`. */
const exceptionsOf = async (timecard: string) =>
  ((await documents.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? [])
    .filter((i) => String(i.pk).startsWith(`EXCEPTION#time-to-invoice#time-entry#certinia-main:${timecard}:`) && i.sk === 'OPEN')
    .map((i) => [i.entityId, i.reason]);
/** The Certinia sandbox's SOQL reads: a deduplicated change is never re-read. */
const reads = () => env.certinia.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/query')).length;

describe('Certinia approved work through Event Relay on the local stack', () => {
  let week: string;

  it('records nothing for a submitted timecard, then one ledger entry per day of the week with its hours once it is approved', async () => {
    week = await env.certinia.submitTimecard({
      project,
      resource,
      assignment,
      weekStart: '2026-11-29',
      hours: { Sunday: 2, Monday: 8, Tuesday: 7.5, Friday: 4 },
    });
    await env.settled();
    expect(await timeOf()).toEqual([]);

    await env.certinia.approve('pse__Timecard_Header__c', week);
    await env.settled();

    // A week spanning November and December: each day in its own month, priced by the assignment's role,
    // a day without hours as 0 so that a later correction to zero replaces what a day had.
    expect(await timeOf()).toEqual([
      [`${week}:2026-11-29`, '2026-11-29', '2', 'Consultant', true],
      [`${week}:2026-11-30`, '2026-11-30', '8', 'Consultant', true],
      [`${week}:2026-12-01`, '2026-12-01', '7.5', 'Consultant', true],
      [`${week}:2026-12-02`, '2026-12-02', '0', 'Consultant', true],
      [`${week}:2026-12-03`, '2026-12-03', '0', 'Consultant', true],
      [`${week}:2026-12-04`, '2026-12-04', '4', 'Consultant', true],
      [`${week}:2026-12-05`, '2026-12-05', '0', 'Consultant', true],
    ]);
    expect((await ledger.projectsWithWorkIn('2026-12')).map((p) => p.projectId)).toContain(project);
  });

  it('records an approved expense and a completed milestone, once', async () => {
    const expense = await env.certinia.submitExpense({ project, resource, date: '2026-11-30', type: 'Airfare', amount: 412.35, currency: 'USD' });
    const milestone = await env.certinia.createMilestone({ project, name: 'Design signed off', amount: 25000, currency: 'USD', targetDate: '2026-12-15' });
    await env.certinia.approve('pse__Expense__c', expense);
    await env.certinia.completeMilestone(milestone, { actualDate: '2026-12-10' });
    await env.settled();
    await env.certinia.change('pse__Milestone__c', milestone, { pse__Status__c: 'Open' });
    await env.certinia.completeMilestone(milestone, { actualDate: '2026-12-12' });
    await env.settled();

    const work = await ledger.workOf(psa);
    expect(work.expenses).toEqual([
      { id: expense, incurredOn: '2026-11-30', category: 'Airfare', amount: { amountMinor: 41235, currency: 'USD' }, billable: true },
    ]);
    expect([...work.milestonesCompleted]).toEqual([[milestoneKey('certinia-main', milestone), '2026-12-10']]);
  });

  it('adds nothing when Event Relay replays every change it delivered, and reads nothing again', async () => {
    const before = { time: await timeOf(), work: await ledger.workOf(psa), reads: reads() };

    const replay = await fetch(`${env.certinia.url}/__sandbox/relay/replay`, { method: 'POST', body: '{}' });
    expect(((await replay.json()) as { replayed: number }).replayed).toBeGreaterThan(5);
    await env.settled();

    expect(await timeOf()).toEqual(before.time);
    expect((await ledger.workOf(psa)).expenses).toEqual(before.work.expenses);
    expect(reads()).toBe(before.reads);
  });

  it('adds nothing for a timecard that is rejected, nor for one that is not billable until it is approved', async () => {
    const rejected = await env.certinia.submitTimecard({ project, resource, assignment, weekStart: '2026-12-06', hours: { Monday: 8 } });
    const internal = await env.certinia.submitTimecard({ project, resource, assignment, weekStart: '2026-12-06', hours: { Tuesday: 3 }, billable: false });
    await env.certinia.change('pse__Timecard_Header__c', rejected, { pse__Status__c: 'Rejected' });
    await env.settled();
    expect((await timeOf()).filter(([id]) => String(id).startsWith(rejected) || String(id).startsWith(internal))).toEqual([]);

    await env.certinia.approve('pse__Timecard_Header__c', internal);
    await env.settled();

    const recorded = (await timeOf()).filter(([id]) => String(id).startsWith(rejected) || String(id).startsWith(internal));
    expect(recorded.filter(([, , hours]) => hours !== '0')).toEqual([[`${internal}:2026-12-08`, '2026-12-08', '3', 'Consultant', false]]);
    expect(recorded.map(([id]) => String(id).slice(0, internal.length))).toEqual(Array(7).fill(internal));
  });

  it('replaces the days of a timecard corrected and approved again', async () => {
    await env.certinia.change('pse__Timecard_Header__c', week, { pse__Status__c: 'Saved', pse__Approved__c: false, pse__Monday_Hours__c: 6 });
    await env.settled();
    expect((await timeOf()).find(([id]) => id === `${week}:2026-11-30`)?.[2]).toBe('8');

    await env.certinia.approve('pse__Timecard_Header__c', week);
    await env.settled();

    expect((await timeOf()).find(([id]) => id === `${week}:2026-11-30`)?.[2]).toBe('6');
  });

  it('records a day corrected from 8 hours to none as 0 hours, replacing the 8', async () => {
    const corrected = await env.certinia.submitTimecard({ project, resource, assignment, weekStart: '2026-12-13', hours: { Monday: 8, Tuesday: 8 } });
    await env.certinia.approve('pse__Timecard_Header__c', corrected);
    await env.settled();
    expect(await hoursOn(corrected, '2026-12-15')).toBe('8');

    await env.certinia.change('pse__Timecard_Header__c', corrected, { pse__Status__c: 'Saved', pse__Approved__c: false, pse__Tuesday_Hours__c: 0 });
    await env.settled();
    await env.certinia.approve('pse__Timecard_Header__c', corrected);
    await env.settled();

    expect(await hoursOn(corrected, '2026-12-14')).toBe('8');
    expect(await hoursOn(corrected, '2026-12-15')).toBe('0');
    expect(await exceptionsOf(corrected)).toEqual([]);
  });

  it('keeps a day already invoiced with hours when it is corrected to none, and leaves the credit to a person', async () => {
    const invoiced = await env.certinia.submitTimecard({ project, resource, assignment, weekStart: '2026-11-22', hours: { Tuesday: 8 } });
    await env.certinia.approve('pse__Timecard_Header__c', invoiced);
    await env.settled();
    // November invoiced, as a billing run drafts it: its days with hours go on the invoice, its days without none.
    const work = await ledger.workOf(psa);
    const november = draftInvoice(contractFixture(psa).terms, { start: '2026-11-01', end: '2026-11-30' }, work, work.history);
    await ledger.saveDraft(psa, november, 500);
    expect(november.billedIds).toContain(`${invoiced}:2026-11-24`);
    expect(november.billedIds).not.toContain(`${invoiced}:2026-11-25`);

    await env.certinia.change('pse__Timecard_Header__c', invoiced, { pse__Status__c: 'Saved', pse__Approved__c: false, pse__Tuesday_Hours__c: 0 });
    await env.settled();
    await env.certinia.approve('pse__Timecard_Header__c', invoiced);
    await env.settled();

    expect(await hoursOn(invoiced, '2026-11-24')).toBe('8');
    expect(await exceptionsOf(invoiced)).toEqual([
      [`certinia-main:${invoiced}:2026-11-24`, `Time entry ${invoiced}:2026-11-24 changed in the PSA after it was invoiced; the invoice was not changed`],
    ]);
  });
});
