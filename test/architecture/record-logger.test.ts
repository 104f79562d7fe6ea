import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, importsOf } from './layers';

const root = path.resolve(__dirname, '../..');
const CONSUMER = 'lambdas/common/sqs-consumer.ts';

/** Every module a file loads, itself included, following relative imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const next of importsOf(root, file)) visit(next);
  };
  visit(entry);
  return seen;
}

/** A handler whose export is a queue consumer: it calls `sqsConsumer` itself or through `pollConsumer`. */
const isQueueConsumer = (entry: string) => /\b(?:sqsConsumer|pollConsumer)\(/.test(readFileSync(path.join(root, entry), 'utf8'));

/** Whether a module imports the module-scope logger of lambdas/common/runtime.ts. */
const importsSharedLogger = (file: string) =>
  /import\s*\{[^}]*\blogger\b[^}]*\}\s*from\s*['"][./]*(?:common\/)?runtime['"]/.test(readFileSync(path.join(root, file), 'utf8'));

describe('a queue consumer', () => {
  it('logs through the logger of the record it handles: no module it loads uses the shared logger but the consumer itself', () => {
    // Prepare
    const consumers = filesUnder(root, 'lambdas/handlers').filter(isQueueConsumer);

    // Act
    const found = consumers.flatMap((entry) =>
      [...reachable(entry)].filter((file) => file !== CONSUMER && importsSharedLogger(file)).map((file) => `${entry} loads ${file}`),
    );

    // Assess
    expect(consumers.length).toBeGreaterThanOrEqual(14);
    expect(found).toEqual([]);
  });

  it('tells the shared logger from a record logger', () => {
    expect(importsSharedLogger('lambdas/wiring/time-to-invoice-tasks.ts')).toBe(true);
    expect(importsSharedLogger('lambdas/wiring/polling.ts')).toBe(false);
    expect(isQueueConsumer('lambdas/handlers/time-to-invoice/poll-kantata-approved-work.ts')).toBe(true);
    expect(isQueueConsumer('lambdas/handlers/opportunity-to-project/receive-hub-spot-webhook.ts')).toBe(false);
  });
});
