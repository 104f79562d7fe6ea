import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

// Where the ops function finds the region's DLQs (`DEAD_LETTER_QUEUES`, lib/dead-letter-queue-access.ts),
// and Lambda's 4 KB for all of a function's environment variables: measured, as Lambda measures it, on
// the JSON of the variables, with every name and ARN CloudFormation generates at its longest.
const { stacks, templates } = synthesizeDeployment(exampleConfig());
const LIMIT = 4 * 1024;

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** A generated name at its longest: CloudFormation cuts generated queue names at 80 characters, table names may reach 255. */
const longest = (n: number) => 'x'.repeat(n);
const REGION = 'ap-southeast-2';
const ACCOUNT = '123456789012';
const PSEUDO: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws-us-gov',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': longest(128),
};
/** What a reference to a resource resolves to, at its longest. */
function worstCase(type: string, attribute: string | undefined): string {
  const queueName = longest(80);
  const byType: Record<string, Record<string, string>> = {
    'AWS::SQS::Queue': {
      Ref: `https://sqs.${REGION}.${PSEUDO['AWS::URLSuffix']}/${ACCOUNT}/${queueName}`,
      QueueName: queueName,
      Arn: `arn:aws-us-gov:sqs:${REGION}:${ACCOUNT}:${queueName}`,
    },
    'AWS::StepFunctions::StateMachine': { Ref: `arn:aws-us-gov:states:${REGION}:${ACCOUNT}:stateMachine:${longest(80)}`, Name: longest(80) },
    'AWS::S3::Bucket': { Ref: longest(63) },
    'AWS::Events::EventBus': { Ref: longest(256), Name: longest(256) },
  };
  return byType[type]?.[attribute ?? 'Ref'] ?? longest(255);
}

function resolve(value: unknown, resources: Record<string, Resource>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const [fn, arg] = Object.entries(value as Record<string, unknown>)[0]!;
  switch (fn) {
    case 'Ref':
      return PSEUDO[String(arg)] ?? worstCase(resources[String(arg)]?.Type ?? '', undefined);
    case 'Fn::GetAtt': {
      const [id, attribute] = arg as [string, string];
      return worstCase(resources[id]?.Type ?? '', attribute);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolve(parts, resources) as unknown[]).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      return (resolve(list, resources) as unknown[])[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return String(resolve(source, resources)).split(separator);
    }
    default:
      throw new Error(`The test cannot resolve ${fn}`);
  }
}

describe.each(stacks.map((s) => [s.region, s] as const))('the DLQs of the ops function in %s', (region, stack) => {
  const resources = (templates.get(region)!.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const environmentOf = (fn: string): Record<string, string> => {
    const construct = [...stack.workflows.values()].find((w) => w.functions.has(fn))!.functions.get(fn)!;
    const variables = (resources[stack.getLogicalId(construct.node.defaultChild as never)]!.Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(resolve(value, resources))]));
  };

  it('names every work queue of the region, each by its DLQ, after the URL all queues share', () => {
    const directory = JSON.parse(environmentOf('RunOpsCommand').DEAD_LETTER_QUEUES!) as { urlPrefix: string; deadLetterQueues: Record<string, string> };
    const workQueues = [...stack.workflows.values()].flatMap((w) => [...w.queues.keys()]);

    expect(Object.keys(directory.deadLetterQueues).sort()).toEqual(workQueues.sort());
    expect(directory.urlPrefix).toBe(`https://sqs.${REGION}.${PSEUDO['AWS::URLSuffix']}/${ACCOUNT}/`);
    expect(new Set(Object.values(directory.deadLetterQueues))).toEqual(new Set([longest(80)]));
  });

  it('keeps every function’s environment within Lambda’s 4 KB, however long the generated names', () => {
    const functions = [...stack.workflows.values()].flatMap((w) => [...w.functions.keys()]);
    const sizes = Object.fromEntries(functions.map((fn) => [fn, JSON.stringify(environmentOf(fn)).length]));

    expect(Object.entries(sizes).filter(([, size]) => size > LIMIT)).toEqual([]);
    // Room left for more work queues: each adds about 110 characters to the ops function's.
    expect(sizes.RunOpsCommand).toBeLessThan(LIMIT - 500);
  });
});
