import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEEDS_A_PERSON } from '../../lambdas/common/errors';
import { RETRYABLE_WORKFLOWS } from '../../lambdas/ops/execution-retry';

// Which failures take the business path and which stop the execution at its task, to be redriven: every
// Catch of a state machine lists exactly the errors that need a person, never States.ALL (a catch-all
// would send an outage to the Fail state, where a redrive could only fail again).
type State = {
  Type: string;
  Error?: string;
  Catch?: { ErrorEquals: string[] }[];
  ItemProcessor?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
};

function catches(states: Record<string, State>): { state: string; errors: string[] }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Catch ?? []).map((c) => ({ state: name, errors: c.ErrorEquals })),
    ...(state.ItemProcessor ? catches(state.ItemProcessor.States) : []),
    ...(state.Branches ?? []).flatMap((b) => catches(b.States)),
  ]);
}

describe.each(Object.entries(NEEDS_A_PERSON))('the Catch rules of %s.asl.json', (workflow, needsAPerson) => {
  const definition = JSON.parse(readFileSync(join(__dirname, '..', '..', 'state-machines', `${workflow}.asl.json`), 'utf8')) as {
    States: Record<string, State>;
  };
  const found = catches(definition.States);

  it('catch exactly the errors that need a person, on every task that has a Catch', () => {
    expect(found.length).toBeGreaterThan(3);
    for (const c of found) expect({ state: c.state, errors: [...c.errors].sort() }).toEqual({ state: c.state, errors: [...needsAPerson].sort() });
  });

  it('leave outages, throttling and defects uncaught', () => {
    for (const transient of ['States.ALL', 'States.TaskFailed', 'VendorUnavailable', 'VendorThrottled', 'Lambda.ServiceException'])
      expect(found.flatMap((c) => c.errors)).not.toContain(transient);
  });
});

function failErrors(states: Record<string, State>): string[] {
  return Object.values(states).flatMap((state) => [
    ...(state.Type === 'Fail' && state.Error !== undefined ? [state.Error] : []),
    ...(state.ItemProcessor ? failErrors(state.ItemProcessor.States) : []),
    ...(state.Branches ?? []).flatMap((b) => failErrors(b.States)),
  ]);
}

describe.each(Object.entries(RETRYABLE_WORKFLOWS))('the business path of %s', (workflow, retryable) => {
  it('ends in Fail states whose errors are exactly those the retry refuses and the failed-execution recorder leaves to it', () => {
    const definition = JSON.parse(readFileSync(join(__dirname, '..', '..', 'state-machines', `${workflow}.asl.json`), 'utf8')) as {
      States: Record<string, State>;
    };
    expect([...new Set(failErrors(definition.States))].sort()).toEqual([...retryable.businessFailures].sort());
  });
});
