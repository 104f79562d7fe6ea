import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { routeFlow } from '../../canonical/flow-routing';
import { exampleConfig, exampleConfigInput } from '../support/example-config';

describe('routeFlow', () => {
  const config = exampleConfig();

  it('routes two legal entities to two different NetSuite accounts in their own regions', () => {
    const us = routeFlow(config, { flow: 'opportunity-to-project', legalEntityId: 'acme-us', businessUnit: 'advisory' });
    const uk = routeFlow(config, { flow: 'opportunity-to-project', legalEntityId: 'acme-uk', businessUnit: 'advisory' });

    expect(us).toMatchObject({ enabled: true, region: 'us-east-1', instances: { erp: { id: 'netsuite-us', vendor: 'netsuite' } } });
    expect(uk).toMatchObject({ enabled: true, region: 'eu-west-1', instances: { erp: { id: 'netsuite-eu', vendor: 'netsuite' } } });
  });

  it('names every role instance, including secrets by name and concurrency limits', () => {
    const route = routeFlow(config, { flow: 'opportunity-to-project', legalEntityId: 'acme-us', businessUnit: 'delivery' });

    expect(route.enabled && route.instances).toMatchObject({
      crm: { id: 'hubspot-main', secretName: 'ps-sync/demo/hubspot-main' },
      psa: { id: 'kantata-global', maxConcurrency: 4 },
      erp: { id: 'netsuite-us', maxConcurrency: 10 },
      hcm: { id: 'workday-global' },
    });
  });

  it('lets a legal-entity switch turn off a flow that a global switch turns on', () => {
    const route = routeFlow(config, { flow: 'opportunity-to-project', legalEntityId: 'acme-de', businessUnit: 'delivery' });

    expect(route).toMatchObject({ enabled: false, reason: 'switched-off', decidedBy: { legalEntity: 'acme-de', on: false } });
  });

  it('keeps a flow off where no switch turns it on', () => {
    const route = routeFlow(config, { flow: 'time-to-invoice', legalEntityId: 'acme-uk', businessUnit: 'advisory' });

    expect(route).toMatchObject({ enabled: false, reason: 'no-switch' });
  });

  it('turns a flow on for one business unit of one legal entity only', () => {
    const delivery = routeFlow(config, { flow: 'time-to-invoice', legalEntityId: 'acme-uk', businessUnit: 'delivery' });
    const us = routeFlow(config, { flow: 'time-to-invoice', legalEntityId: 'acme-us', businessUnit: 'advisory' });

    expect(delivery).toMatchObject({ enabled: true, region: 'eu-west-1' });
    expect(us).toMatchObject({ enabled: true, region: 'us-east-1', decidedBy: { region: 'us-east-1' } });
  });

  it('prefers the more specific switch whichever order the switches are written in', () => {
    const input = exampleConfigInput();
    input.flowSwitches = [
      { flow: 'worker-rate-sync', on: false, legalEntity: 'acme-us', businessUnit: 'advisory' },
      { flow: 'worker-rate-sync', on: true, legalEntity: 'acme-us' },
    ];
    const reordered = { ...input, flowSwitches: [...input.flowSwitches].reverse() };

    for (const variant of [input, reordered]) {
      const routed = parseDeploymentConfig(variant);
      expect(routeFlow(routed, { flow: 'worker-rate-sync', legalEntityId: 'acme-us', businessUnit: 'advisory' }).enabled).toBe(false);
      expect(routeFlow(routed, { flow: 'worker-rate-sync', legalEntityId: 'acme-us', businessUnit: 'delivery' }).enabled).toBe(true);
    }
  });

  it('explains an unknown legal entity and a business unit the entity does not have', () => {
    expect(routeFlow(config, { flow: 'reconciliation', legalEntityId: 'acme-fr', businessUnit: 'delivery' })).toMatchObject({
      enabled: false,
      reason: 'unknown-legal-entity',
      detail: expect.stringContaining('acme-fr'),
    });
    expect(routeFlow(config, { flow: 'reconciliation', legalEntityId: 'acme-de', businessUnit: 'advisory' })).toMatchObject({
      enabled: false,
      reason: 'unknown-business-unit',
    });
  });
});
