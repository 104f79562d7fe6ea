import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS } from '../../lib/topology/workflows';
import { DECLARATION_TAG } from '../../lib/workflow-resources';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Dimension = { Name: string; Value: unknown };

const { templates } = synthesizeDeployment(exampleConfig());
const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
const declaredFunctions = WORKFLOWS.flatMap((w) => w.functions.map((f) => f.id));

/** The logical id a value refers to (`Ref` or `Fn::GetAtt`), if it is a reference. */
const ref = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

describe.each(['us-east-1', 'eu-west-1'])('alarms of the example deployment in %s', (region) => {
  const resources = Object.entries((templates.get(region)!.toJSON() as { Resources: Record<string, Resource> }).Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const alarms = ofType('AWS::CloudWatch::Alarm');
  /** The alarms on `metric` whose dimension `dimension` is `value` (a logical id behind a Ref, or a literal). */
  const alarmsOn = (namespace: string, metric: string, dimension: string, value: string) =>
    alarms.filter(
      ([, a]) =>
        a.Properties.Namespace === namespace &&
        a.Properties.MetricName === metric &&
        ((a.Properties.Dimensions ?? []) as Dimension[]).some((d) => d.Name === dimension && (ref(d.Value) ?? d.Value) === value),
    );
  const expectCountAboveZero = (alarm: Resource, periods: number) =>
    expect(alarm.Properties).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: periods,
      DatapointsToAlarm: periods,
    });

  it('notify the one alarm topic from every alarm, and treat missing data as not breaching', () => {
    const topics = ofType('AWS::SNS::Topic');

    expect(topics).toHaveLength(1);
    expect(alarms.length).toBeGreaterThan(60);
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: topics[0]![0] }] });
      expect({ id, missing: alarm.Properties.TreatMissingData }).toEqual({ id, missing: 'notBreaching' });
    }
  });

  it('alarm on every state machine execution that failed, timed out or was aborted, at the first in five minutes', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');

    expect(machines.length).toBe(WORKFLOWS.flatMap((w) => w.stateMachines).length);
    for (const [id] of machines) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        const found = alarmsOn('AWS/States', metric, 'StateMachineArn', id);
        expect(found.map(([alarmId]) => alarmId)).toHaveLength(1);
        expectCountAboveZero(found[0]![1], 1);
      }
    }
  });

  it('alarm on every function: errors that last three five-minute periods; on any throttle of the shared regional pool', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, fn]) =>
      (fn.Properties.Tags as { Key: string; Value: string }[] | undefined)?.some((t) => t.Key === DECLARATION_TAG),
    );

    expect(functions.length).toBe(declaredFunctions.length);
    for (const [id] of functions) {
      const errors = alarmsOn('AWS/Lambda', 'Errors', 'FunctionName', id);
      expect({ id, errors: errors.length }).toEqual({ id, errors: 1 });
      expectCountAboveZero(errors[0]![1], 3);
    }
    const throttles = alarms.filter(([, a]) => a.Properties.Namespace === 'AWS/Lambda' && a.Properties.MetricName === 'Throttles');
    expect(throttles.map(([, a]) => a.Properties.Dimensions ?? [])).toEqual([[]]);
    expectCountAboveZero(throttles[0]![1], 1);
  });

  it('alarm on any 5xx of this stack’s webhook API, named so that no other API shares its metrics', () => {
    const [[, api]] = ofType('AWS::ApiGateway::RestApi') as [[string, Resource]];
    const found = alarmsOn('AWS/ApiGateway', '5XXError', 'ApiName', api.Properties.Name as string);

    expect(api.Properties.Name).toMatch(new RegExp(`-${region}-webhooks$`));
    expect(found).toHaveLength(1);
    expectCountAboveZero(found[0]![1], 1);
  });

  it('set no alarm on the announcement queue, which nothing in the stack receives from, but keep its DLQ alarm', () => {
    const queue = ofType('AWS::SQS::Queue').find(([id]) => id.startsWith('ExceptionsAnnouncementsQueue'))![0];
    const deadLetters = ofType('AWS::SQS::Queue').find(([id]) => id.startsWith('ExceptionsAnnouncementsDeadLetters'))![0];

    expect(alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage')).toEqual([]);
    expect(alarms.filter(([, a]) => ((a.Properties.Dimensions ?? []) as Dimension[]).some((d) => ref(d.Value) === queue))).toEqual([]);
    expect(alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', deadLetters)).toHaveLength(1);
  });

  it('describe each execution, function and API alarm by what it watches and a runbook row that exists', () => {
    const described = alarms.filter(([, a]) => ['AWS/States', 'AWS/Lambda', 'AWS/ApiGateway'].includes(a.Properties.Namespace as string));

    expect(described.length).toBeGreaterThan(declaredFunctions.length);
    for (const [id, alarm] of described) {
      const description = alarm.Properties.AlarmDescription as string;
      const row = /Runbook: docs\/operations\.md, "alarm: ([^"]+)"\.$/.exec(description)?.[1];
      expect({ id, row }).toEqual({ id, row: expect.any(String) });
      expect({ id, inRunbook: runbook.includes(`alarm: \`${row}\``) }).toEqual({ id, inRunbook: true });
      expect(description.length).toBeLessThanOrEqual(1024);
    }
    for (const fn of declaredFunctions) {
      const own = described.filter(([, a]) => (a.Properties.AlarmDescription as string).startsWith(`${fn} (`));
      expect({ fn, alarms: own.length }).toEqual({ fn, alarms: 1 });
    }
  });
});
