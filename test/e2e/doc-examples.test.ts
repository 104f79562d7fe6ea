/* eslint-disable vitest/no-standalone-expect, vitest/expect-expect -- each example's checks live in EXPECTED and run inside its own test */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { shortRetries } from '../support/short-retries';

// The README's and docs/local-stack.md's hand-driven examples, run as written, in order, in one bash
// shell (as a person pastes them into one terminal), against the local stack `npm start` runs. Between
// examples the test waits as the person would (for the stack to settle, or a schedule's period).
const root = join(__dirname, '..', '..');
const DOCS = ['README.md', 'docs/local-stack.md'] as const;

interface Example {
  readonly doc: string;
  readonly name: string;
  readonly script: string;
}

/** Every ```bash block of a doc: named ones (`<!-- example: name -->` above them) and the rest. */
function bashBlocks(doc: string): { name: string | undefined; script: string }[] {
  const text = readFileSync(join(root, doc), 'utf8');
  return [...text.matchAll(/(?:<!-- example: ([\w-]+) -->\n)?```bash\n([\s\S]*?)```/g)].map((m) => ({ name: m[1], script: m[2]! }));
}

/** One bash process that stops at the first failing command (`set -e`), as a careful person would. */
class Shell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private exited: number | null = null;

  constructor(cwd: string) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd } });
    this.bash.stdout.on('data', (chunk: Buffer) => {
      this.out += chunk.toString();
    });
    this.bash.stderr.on('data', (chunk: Buffer) => {
      this.err += chunk.toString();
    });
    this.bash.on('exit', (code) => {
      this.exited = code ?? -1;
    });
    this.bash.stdin.write('set -eo pipefail\n');
  }

  /** Runs a script; resolves with what it printed, rejects if a command in it failed. */
  async run(script: string): Promise<string> {
    const marker = `__done_${Math.random().toString(36).slice(2)}__`;
    this.out = '';
    this.err = '';
    this.bash.stdin.write(`${script}\nprintf '\\n${marker}\\n'\n`);
    const deadline = Date.now() + 120_000;
    while (!this.out.includes(marker)) {
      if (this.exited !== null) throw new Error(`the shell stopped (exit ${this.exited}) in:\n${script}\nstdout: ${this.out}\nstderr: ${this.err}`);
      if (Date.now() > deadline) throw new Error(`no end of:\n${script}\nstdout: ${this.out}\nstderr: ${this.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.out.slice(0, this.out.indexOf(marker)).trim();
  }

  async variable(name: string): Promise<string> {
    return this.run(`printf '%s' "$${name}"`);
  }

  close(): void {
    this.bash.kill();
  }
}

let env: LocalEnvironment;
let shell: Shell;
let cwd: string;

beforeAll(async () => {
  env = await startLocalEnvironment({ logLevel: 'SILENT', retryIntervalOverrides: shortRetries() });
  // A checkout beside the repository's own: what `npm start` writes, and the repository's files by link,
  // so the test never writes over the `.local-stack.env` of a stack someone is running.
  cwd = mkdtempSync(join(tmpdir(), 'doc-examples-'));
  for (const entry of ['local', 'lambdas', 'canonical', 'lib', 'bin', 'node_modules', 'package.json', 'tsconfig.json', 'cdk.json'])
    symlinkSync(join(root, entry), join(cwd, entry));
  writeFileSync(
    join(cwd, '.local-stack.env'),
    Object.entries(env.shellVariables)
      .map(([name, value]) => `export ${name}='${value}'\n`)
      .join(''),
  );
  shell = new Shell(cwd);
}, 120_000);
afterAll(async () => {
  shell?.close();
  await env?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.split('\n').at(-1)!) as Record<string, unknown>;
const exceptionsTable = async () => {
  const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  return (await client.send(new ScanCommand({ TableName: env.stack.tableNames.exceptions }))).Items ?? [];
};
const ledger = async () => {
  const client = new DynamoDBClient({ endpoint: env.stack.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  return (await client.send(new ScanCommand({ TableName: env.stack.tableNames.billingLedger }))).Items ?? [];
};

/** What each example must have done, checked after the person's wait; every named example has one. */
const EXPECTED: Record<string, (out: string) => Promise<void>> = {
  'hubspot-win': async () => {
    await env.settled();
    const deal = await shell.variable('deal');
    expect(env.hubspot.object('deals', deal)?.properties).toMatchObject({ ps_sync_status: 'synced' });
    expect(env.stack.stepFunctions.executions.filter((e) => e.name.startsWith(`hubspot-main-${deal}-`)).map((e) => e.status)).toEqual(['SUCCEEDED']);
  },
  'hubspot-read': async (out) => {
    const { properties } = lastJson(out) as { properties: Record<string, string> };
    expect(properties.ps_sync_status).toBe('synced');
    expect(env.netsuite.us.records('customer').map((c) => String(c.id))).toContain(properties.ps_erp_customer_id);
    expect(env.kantata.objects('workspaces').map((w) => String(w.id))).toContain(properties.ps_psa_project_id);
  },
  'erp-psa-read': async (out) => {
    const [customer, workspaces] = out.split(/(?<=\})\s*(?=\{)/).map((part) => JSON.parse(part) as Record<string, unknown>);
    expect(customer).toMatchObject({ id: await shell.variable('customer'), companyName: 'Globex Corporation', subsidiary: { id: '1' } });
    expect(Object.keys(workspaces!.workspaces as object)).toEqual([await shell.variable('workspace')]);
  },
  'netsuite-m2m': async (out) => {
    expect(lastJson(out)).toMatchObject({ items: expect.any(Array), count: expect.any(Number) });
  },
  'hubspot-signed-webhook': async (out) => {
    expect(lastJson(out)).toMatchObject({ accepted: 1, rejected: [] });
    await env.settled();
    const deal = await shell.variable('deal');
    expect(env.stack.stepFunctions.executions.filter((e) => e.name.startsWith(`hubspot-main-${deal}-`))).toHaveLength(1);
  },
  'salesforce-win': async () => {
    await env.settled();
    const opp = await shell.variable('opp');
    expect(env.salesforce.record('Opportunity', opp)).toMatchObject({ PS_Sync_Status__c: 'synced', AccountId: await shell.variable('account') });
    const project = String(env.salesforce.record('Opportunity', opp)?.PS_PSA_Project_Id__c);
    // The four line items became the rate card, the task and the milestone of the workspace.
    expect(env.kantata.objects('stories').filter((s) => String(s.workspace_id) === project)).toHaveLength(2);
  },
  'salesforce-read': async (out) => {
    const { records } = lastJson(out) as { records: Record<string, unknown>[] };
    expect(records).toEqual([expect.objectContaining({ Id: await shell.variable('opp'), PS_Sync_Status__c: 'synced' })]);
  },
  'relay-bad-days': async (out) => {
    expect(lastJson(out)).toMatchObject({ replayed: expect.any(Number) });
    const workspaces = env.kantata.objects('workspaces').length;
    await env.settled();
    // The gap is read and the replay redelivers: the won opportunity stays one project, nothing needs a person.
    expect(env.kantata.objects('workspaces')).toHaveLength(workspaces);
    expect((await exceptionsTable()).filter((i) => i.sk?.S === 'OPEN')).toEqual([]);
  },
  'kantata-time': async (out) => {
    expect(lastJson(out)).toMatchObject({ approved: true, time_in_minutes: 480 });
    // A person waits for the next poll; the test plays the 15 minutes by firing the schedule.
    await env.stack.scheduler.fire('KantataPollSchedule-kantata-global');
    await env.settled();
    const entry = await shell.variable('entry');
    expect((await ledger()).filter((i) => JSON.stringify(i).includes(entry))).not.toEqual([]);
  },
  'ops-bad-deal': async () => {
    await env.settled();
    expect(env.hubspot.object('deals', await shell.variable('bad'))?.properties.ps_sync_status).toBe('needs-attention');
  },
  'ops-inbox': async (out) => {
    const bad = await shell.variable('bad');
    // The list printed the deal's exception with its owner and amount.
    expect(out).toContain(`opportunity-to-project/opportunity/hubspot-main:${bad}`);
    expect(out).toContain('sales-operations: 1 open, USD 125,000.00 at stake');
  },
  'ops-fix-deal': async () => {
    await env.settled();
    // The fixed deal's new revision made its project and closed the exception.
    const bad = await shell.variable('bad');
    expect(env.hubspot.object('deals', bad)?.properties).toMatchObject({ ps_sync_status: 'synced', ps_psa_project_id: expect.any(String) });
    expect((await exceptionsTable()).filter((i) => i.sk?.S === 'OPEN')).toEqual([]);
  },
  'ops-fixed': async (out) => {
    expect(out).toContain(`opportunity-to-project/opportunity/hubspot-main:${await shell.variable('bad')}`);
    expect(out).toMatch(/resolved/);
  },
  'ops-outage': async () => {
    await env.settled();
    // Retries spent on Kantata's 503s: the execution failed at CreatePsaProject, its exception says to retry.
    const outage = await shell.variable('outage');
    const executions = env.stack.stepFunctions.executions.filter((e) => e.name.startsWith(`hubspot-main-${outage}-`));
    expect(executions.map((e) => e.status)).toEqual(['FAILED']);
    const open = (await exceptionsTable()).filter((i) => i.sk?.S === 'OPEN');
    expect(open.map((i) => [i.entityId?.S, i.remediation?.S?.includes('exceptions retry')])).toEqual([[`hubspot-main:${outage}`, true]]);
  },
  'ops-retry': async (out) => {
    const outage = await shell.variable('outage');
    expect(out).toMatch(/redriv/i);
    await env.settled();
    // Resumed from the failed step: the same execution succeeded, one project, nothing left open.
    const executions = env.stack.stepFunctions.executions.filter((e) => e.name.startsWith(`hubspot-main-${outage}-`));
    expect(executions).toEqual([expect.objectContaining({ status: 'SUCCEEDED', redriveCount: 1 })]);
    const project = env.hubspot.object('deals', outage)?.properties.ps_psa_project_id;
    expect(env.kantata.objects('workspaces').filter((w) => String(w.id) === project)).toHaveLength(1);
    expect((await exceptionsTable()).filter((i) => i.sk?.S === 'OPEN')).toEqual([]);
  },
  'ops-dlq-reconcile': async (out) => {
    expect(out).toMatch(/^ReconciliationRequests-dlq\s+0\s+ReconciliationRequests/m);
    expect(out).toContain('Every DLQ is empty.');
    expect(out).toContain('Reconciliation of acme-us 2026-12');
  },
  faults: async (out) => {
    expect(Number(out)).toBeGreaterThan(0); // the request log's length; the fault calls answer 204
    expect(await (await fetch(`${env.kantata.url}/__sandbox/fault-schedule`)).json()).toMatchObject({ schedule: null });
  },
};

describe('the hand-driven examples in the docs, as written', () => {
  const examples: Example[] = DOCS.flatMap((doc) =>
    bashBlocks(doc)
      .filter((b) => b.name !== undefined)
      .map((b) => ({ doc, name: b.name!, script: b.script })),
  );

  it('names every example that is not an npm command, and checks each name', () => {
    const unnamed = DOCS.flatMap((doc) => bashBlocks(doc).filter((b) => b.name === undefined && !/^(npm .*\n)+$/.test(b.script)));
    expect(unnamed).toEqual([]);
    expect(examples.map((e) => e.name).filter((name) => !(name in EXPECTED))).toEqual([]);
    expect(new Set(examples.map((e) => e.name))).toEqual(new Set(Object.keys(EXPECTED)));
  });

  for (const [index, example] of bashBlocks('README.md')
    .concat(bashBlocks('docs/local-stack.md'))
    .filter((b) => b.name !== undefined)
    .entries()) {
    it(`${index + 1}. ${example.name}`, async () => {
      const out = await shell.run(example.script);
      await EXPECTED[example.name!]!(out);
    }, 180_000);
  }
});
