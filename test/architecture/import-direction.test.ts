import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, importsOf, layerOf, violation } from './layers';

const root = path.resolve(__dirname, '../..');

describe('the import direction', () => {
  it('runs handlers → wiring → workflows and adapters → ports → common → canonical across lambdas/ and canonical/', () => {
    // Prepare
    const files = [...filesUnder(root, 'lambdas'), ...filesUnder(root, 'canonical')];

    // Act
    const found = files.flatMap((file) => importsOf(root, file).flatMap((to) => violation(file, to) ?? []));

    // Assess
    expect(files.length).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it('refuses an import that runs back up, across workflows, between adapters or from canonical', () => {
    expect(violation('lambdas/common/queue.ts', 'lambdas/wiring/container.ts')).toMatch(/common.*wiring/);
    expect(violation('lambdas/ports/erp.ts', 'lambdas/time-to-invoice/billing-engine.ts')).toMatch(/ports.*workflow/);
    expect(violation('lambdas/time-to-invoice/billing-steps.ts', 'lambdas/opportunity-to-project/steps.ts')).toMatch(/workflow.*workflow/);
    expect(violation('lambdas/time-to-invoice/billing-steps.ts', 'lambdas/netsuite/netsuite-erp.ts')).toMatch(/workflow.*adapter/);
    expect(violation('lambdas/kantata/kantata-psa.ts', 'lambdas/time-to-invoice/billing-steps.ts')).toMatch(/adapter.*workflow/);
    expect(violation('lambdas/certinia/certinia-psa.ts', 'lambdas/salesforce/salesforce-crm.ts')).toMatch(/adapter.*adapter/);
    expect(violation('canonical/index.ts', 'lambdas/common/queue.ts')).toMatch(/canonical.*common/);
    expect(violation('lambdas/wiring/container.ts', 'lambdas/handlers/time-to-invoice/post-invoice.ts')).toMatch(/wiring.*handlers/);
    expect(violation('lambdas/handlers/time-to-invoice/post-invoice.ts', 'lambdas/handlers/time-to-invoice/draft-invoice.ts')).toMatch(/handlers.*handlers/);
    expect(violation('lambdas/time-to-invoice/billing-steps.ts', 'lib/topology/workflows.ts')).toMatch(/only wiring reads lib\/topology/);
    expect(violation('lambdas/common/queue.ts', 'local/aws/event-bus.ts')).toMatch(/outside the layered code/);
  });

  it('lets each layer import downwards and within its own folder', () => {
    expect(violation('lambdas/handlers/time-to-invoice/post-invoice.ts', 'lambdas/wiring/time-to-invoice-tasks.ts')).toBeUndefined();
    expect(violation('lambdas/wiring/adapters.ts', 'lambdas/netsuite/netsuite-erp.ts')).toBeUndefined();
    expect(violation('lambdas/netsuite/netsuite-erp.ts', 'lambdas/ports/erp.ts')).toBeUndefined();
    expect(violation('lambdas/time-to-invoice/billing-steps.ts', 'lambdas/time-to-invoice/billing-engine.ts')).toBeUndefined();
    expect(violation('lambdas/ports/psa.ts', 'lambdas/common/billing-keys.ts')).toBeUndefined();
    expect(violation('lambdas/common/queue.ts', 'canonical/index.ts')).toBeUndefined();
    expect(violation('lambdas/wiring/function-environment.ts', 'lib/topology/workflows.ts')).toBeUndefined();
  });

  it('names no folder of lambdas/ outside a layer', () => {
    expect(() => layerOf('lambdas/helpers/misc.ts')).toThrow(/no layer names/);
  });
});
