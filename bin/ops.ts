#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { parseDeploymentConfig } from '../canonical/deployment-config';
import { formatMoney, type Money } from '../canonical/primitives';
import type { InboxEntry } from '../lambdas/ops/exception-inbox';
import { regionStackId } from '../lib/sync-region-stack';
import { STACK_OUTPUTS } from '../lib/topology/outputs';
import { LOCAL_OPERATOR } from '../local/aws/local-operator';
import { runDlqCommand } from './ops-dlq';
import { runReconcileCommand } from './ops-reconcile';

/** Where the ops commands go: a region's ops API (its URL with the stage) and who signs for it. */
export interface OpsTarget {
  readonly url: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** What a command printed and how it ended. */
export interface OpsResult {
  readonly exitCode: number;
  readonly output: string;
}

const USAGE = `Usage: npm run ops -- (--local | --region <region> [--config <file>]) [--json] <command>
  exceptions list [--workflow <w>] [--legal-entity <id>] [--owner <team>]   what is open, oldest first, with owner and money at stake
  exceptions show <ref>                                                      one exception and its history
  exceptions resolve <ref> [--note <text>]                                   close it as fixed (the workflow also closes it when a run succeeds)
  exceptions ignore <ref> --note <why>                                       close it as not worth fixing; the note is required
  exceptions retry <ref>                                                     resume its failed execution from the failed step (redrive), or start it again after 14 days
  dlq list                                                                   each work queue's DLQ: messages waiting, its source queue, its latest redrive
  dlq peek <queue> [--max <n>] [--bodies]                                    up to 10 of its messages, left in place (a peek counts as a receive); bodies with --bodies or --json
  dlq redrive <queue> [--per-second <n>]                                     move its messages back to the source queue (SQS's DLQ redrive), audited
  reconcile run --legal-entity <id> --period <yyyy-mm>                       compare ledger, ERP and PSA invoices of the month now: repairs an invoice the PSA lacks, the rest become exceptions
  reconcile report --legal-entity <id> --period <yyyy-mm>                    the latest reconciliation report of the month
<ref> is <workflow>/<entity type>/<entity id>, as the list prints it; <queue> is a work queue's id, as dlq list prints it (SOURCE).`;

/** Sends one SigV4-signed request to the ops API, as API Gateway's AWS_IAM authorization requires. */
async function call(target: OpsTarget, method: 'GET' | 'POST', path: string, query: Record<string, string> = {}, body?: unknown) {
  const url = new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({ credentials: target.credentials, region: target.region, service: 'execute-api', sha256: Sha256 });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(text === undefined ? {} : { body: text }),
  });
  const response = await fetch(url, { method, headers: signed.headers, ...(text === undefined ? {} : { body: text }) });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, answer };
}

function money(m: InboxEntry['moneyAtStake']): string {
  return m ? formatMoney(m as Money) : '-';
}

function age(since: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 60_000));
  return minutes < 60 ? `${minutes}m` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)}h` : `${Math.floor(minutes / 1440)}d`;
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The inbox as a person reads it: one line per exception, then what each team has open and at stake. */
export function formatInbox(entries: readonly InboxEntry[], now: Date): string {
  if (entries.length === 0) return 'No open exceptions.';
  const rows = entries.map((e) => [
    e.ref,
    e.state,
    e.ownerTeam,
    e.legalEntityId ?? '-',
    money(e.moneyAtStake),
    age(e.firstSeenAt, now),
    String(e.occurrences),
    e.reason.length > 80 ? `${e.reason.slice(0, 79)}…` : e.reason,
  ]);
  const teams = new Map<string, { count: number; stake: Map<string, number> }>();
  for (const e of entries) {
    const team = teams.get(e.ownerTeam) ?? { count: 0, stake: new Map() };
    team.count++;
    if (e.moneyAtStake) team.stake.set(e.moneyAtStake.currency, (team.stake.get(e.moneyAtStake.currency) ?? 0) + e.moneyAtStake.amountMinor);
    teams.set(e.ownerTeam, team);
  }
  const summary = [...teams].map(
    ([team, t]) =>
      `${team}: ${t.count} open${t.stake.size ? `, ${[...t.stake].map(([currency, amountMinor]) => money({ currency, amountMinor })).join(' + ')} at stake` : ''}`,
  );
  return `${table(['EXCEPTION', 'STATE', 'OWNER', 'LEGAL ENTITY', 'AT STAKE', 'AGE', 'COUNT', 'REASON'], rows)}\n\n${summary.join('\n')}`;
}

function formatEntry(e: InboxEntry): string {
  return [
    `${e.ref}  (${e.state}, owner ${e.ownerTeam})`,
    `  legal entity ${e.legalEntityId ?? '-'}, at stake ${money(e.moneyAtStake)}`,
    `  seen ${e.occurrences} time(s), first ${e.firstSeenAt}, last ${e.lastSeenAt}`,
    `  reason       ${e.reason}`,
    `  remediation  ${e.remediation}`,
    ...(e.execution ? [`  execution    ${e.execution}`] : []),
    ...(e.correlationId ? [`  correlation  ${e.correlationId}`] : []),
    ...(e.closed ? [`  closed by ${e.closed.by} at ${e.closed.at}${e.closed.note ? `: ${e.closed.note}` : ''}`] : []),
  ].join('\n');
}

/** Runs one ops command against a target; the command line without the target options. */
export async function runOps(args: readonly string[], target: OpsTarget, now: () => Date = () => new Date()): Promise<OpsResult> {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      workflow: { type: 'string' },
      'legal-entity': { type: 'string' },
      owner: { type: 'string' },
      note: { type: 'string' },
      bodies: { type: 'boolean', default: false },
      max: { type: 'string' },
      'per-second': { type: 'string' },
      period: { type: 'string' },
    },
  });
  const [noun, verb, ref] = positionals;
  const refused = (status: number, answer: Record<string, unknown>): OpsResult => ({
    exitCode: 1,
    output: values.json ? JSON.stringify(answer) : `${status}: ${String(answer.detail ?? answer.message ?? answer.Message ?? JSON.stringify(answer))}`,
  });
  if (noun === 'dlq')
    return runDlqCommand(
      verb,
      ref,
      {
        json: values.json,
        bodies: values.bodies,
        ...(values.max ? { max: values.max } : {}),
        ...(values['per-second'] ? { perSecond: values['per-second'] } : {}),
      },
      (method, path, query, body) => call(target, method, path, query, body),
      refused,
      USAGE,
      now,
    );
  if (noun === 'reconcile')
    return runReconcileCommand(
      verb,
      { json: values.json, legalEntity: values['legal-entity'], period: values.period },
      (method, path, query, body) => call(target, method, path, query, body),
      refused,
      USAGE,
    );
  if (noun !== 'exceptions') return { exitCode: 2, output: USAGE };
  const path = (suffix = '') => `ops/exceptions/${ref!.split('/').map(encodeURIComponent).join('/')}${suffix}`;
  switch (verb) {
    case 'list': {
      const query = {
        ...(values.workflow ? { workflow: values.workflow } : {}),
        ...(values['legal-entity'] ? { legalEntity: values['legal-entity'] } : {}),
        ...(values.owner ? { owner: values.owner } : {}),
      };
      const { status, answer } = await call(target, 'GET', 'ops/exceptions', query);
      if (status !== 200) return refused(status, answer);
      const entries = answer.exceptions as InboxEntry[];
      return { exitCode: 0, output: values.json ? JSON.stringify(entries, null, 2) : formatInbox(entries, now()) };
    }
    case 'show': {
      if (!ref) return { exitCode: 2, output: USAGE };
      const { status, answer } = await call(target, 'GET', path());
      if (status !== 200) return refused(status, answer);
      const shown = answer as { open?: InboxEntry; history: InboxEntry[] };
      const text = [
        ...(shown.open ? [formatEntry(shown.open)] : ['(not open)']),
        ...(shown.history.length ? ['history:', ...shown.history.map(formatEntry)] : []),
      ];
      return { exitCode: 0, output: values.json ? JSON.stringify(shown, null, 2) : text.join('\n') };
    }
    case 'retry': {
      if (!ref) return { exitCode: 2, output: USAGE };
      const { status, answer } = await call(target, 'POST', path('/retry'), {}, {});
      if (status !== 200) return refused(status, answer);
      const retry = answer.retry as { how: 'redrive' | 'restart'; execution: string; attempt: number };
      return {
        exitCode: 0,
        output: values.json
          ? JSON.stringify(answer, null, 2)
          : `${ref}: retrying (attempt ${retry.attempt}): ${retry.how === 'redrive' ? `${retry.execution} redriven from its failed step` : `started again as ${retry.execution}`}`,
      };
    }
    case 'resolve':
    case 'ignore': {
      if (!ref) return { exitCode: 2, output: USAGE };
      const { status, answer } = await call(target, 'POST', path(`/${verb}`), {}, values.note === undefined ? {} : { note: values.note });
      if (status !== 200) return refused(status, answer);
      const entry = answer.exception as InboxEntry;
      return { exitCode: 0, output: values.json ? JSON.stringify(entry, null, 2) : `${entry.ref}: ${entry.state} by ${entry.closed?.by}` };
    }
    default:
      return { exitCode: 2, output: USAGE };
  }
}

/** `--local`: the stack `npm start` runs (its `.local-stack.env`) and the local operator's key; `--region`: the deployed stack's output and the default credential chain. */
async function targetOf(values: { local?: boolean; region?: string; config?: string }): Promise<OpsTarget> {
  if (values.local) {
    const file = '.local-stack.env';
    if (!existsSync(file)) throw new Error('No .local-stack.env: start the local stack with npm start first.');
    const url = /^export OPS_API='([^']+)'$/m.exec(readFileSync(file, 'utf8'))?.[1];
    if (!url) throw new Error('.local-stack.env names no OPS_API.');
    const local = parseDeploymentConfig(JSON.parse(readFileSync('local/deployment.local.json', 'utf8')));
    return { url, region: local.regions[0]!.region, credentials: LOCAL_OPERATOR };
  }
  if (!values.region) throw new Error(USAGE);
  const region = values.region;
  const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { deploymentConfig: string } };
  const config = parseDeploymentConfig(JSON.parse(readFileSync(resolve(values.config ?? cdkJson.context.deploymentConfig), 'utf8')));
  const stackName = regionStackId(config, region);
  const { Stacks } = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: stackName }));
  const url = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STACK_OUTPUTS.opsApiUrl)?.OutputValue;
  if (!url) throw new Error(`${stackName} has no ${STACK_OUTPUTS.opsApiUrl} output: deploy this version of the stack first.`);
  return { url, region, credentials: defaultProvider() };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { local: { type: 'boolean' }, region: { type: 'string' }, config: { type: 'string' } },
  });
  // The target options are this wrapper's; everything else is the command's.
  const targetIndexes = new Set(
    tokens
      .filter((t) => t.kind === 'option' && ['local', 'region', 'config'].includes(t.name))
      .flatMap((t) => (t.kind === 'option' && t.value !== undefined && !t.inlineValue ? [t.index, t.index + 1] : [t.index])),
  );
  const command = argv.filter((_, i) => !targetIndexes.has(i));
  const target = await targetOf(values as { local?: boolean; region?: string; config?: string });
  const result = await runOps(command, target);
  console.log(result.output);
  process.exitCode = result.exitCode;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
