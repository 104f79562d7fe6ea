import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addSyncStacks } from '../../lib/sync-app';
import { exampleConfig } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // Each entry is recorded as { "Annotation::<rule id>": reason }.
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([key, reason]) => ({ path: c.node.path, id: key.replace(/^Annotation::/, ''), reason })),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it('pass on every regional stack of the example deployment', () => {
    const { app } = synthesizeDeployment(exampleConfig());

    expect(() => app.synth()).not.toThrow();
  });

  it('fail the synth when a stack gains a finding nobody acknowledged', () => {
    const app = new App({ postCliContext: { 'aws:cdk:bundling-stacks': [] } });
    const [stack] = addSyncStacks(app, exampleConfig());
    new sqs.Queue(stack as Stack, 'QueueWithoutDlqOrTls');

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*QueueWithoutDlqOrTls/);
  });

  it('carry a written reason of substance with every acknowledgement', () => {
    const { app } = synthesizeDeployment(exampleConfig());
    const acks = acknowledgements(app);

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });
});
