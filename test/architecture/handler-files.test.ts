import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { filesUnder } from './layers';

const root = path.resolve(__dirname, '../..');

/** `ReceiveHubSpotWebhook` → `receive-hub-spot-webhook`: the rule from a function id to its file name. */
export function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The one file of a function: `lambdas/handlers/<workflow>/<kebab id>.ts`. */
function handlerFile(workflow: string, id: string): string {
  return `lambdas/handlers/${workflow}/${kebabCase(id)}.ts`;
}

const functions = WORKFLOWS.flatMap((w) => w.functions.map((f) => ({ workflow: w.workflow, ...f })));

describe('handler files', () => {
  it('derive a file name from a function id', () => {
    expect(kebabCase('ReceiveHubSpotWebhook')).toBe('receive-hub-spot-webhook');
    expect(kebabCase('WriteBackToCrm')).toBe('write-back-to-crm');
  });

  it.each(functions.map((f) => [f.id, f] as const))('%s is declared with the file its id names, which exists and wires itself by that id', (id, f) => {
    const file = handlerFile(f.workflow, id);
    expect(f.entry).toBe(file);
    expect(existsSync(path.join(root, file))).toBe(true);
    // The wiring checks the environment of the declaration it is named after: the names must agree.
    expect(readFileSync(path.join(root, file), 'utf8')).toContain(`('${id}'`);
  });

  it('holds no file under lambdas/handlers/ that is not exactly one function', () => {
    const entries = functions.map((f) => f.entry);
    expect(new Set(entries).size).toBe(entries.length);
    expect(filesUnder(root, 'lambdas/handlers')).toEqual([...entries].sort());
  });
});
