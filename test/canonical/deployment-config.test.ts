import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  callOptionsClientOf,
  type DeploymentConfigInput,
  dealWonEventOf,
  ownershipPolicy,
  parseDeploymentConfig,
  regionalConcurrency,
  relayedEvents,
} from '../../canonical/deployment-config';
import { exampleConfigInput } from '../support/example-config';

describe('parseDeploymentConfig', () => {
  it('accepts the example configuration with two regions and several ERP instances, applying defaults', () => {
    const config = parseDeploymentConfig(exampleConfigInput());

    expect(config.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(new Set(config.legalEntities.map((e) => e.instances.erp)).size).toBeGreaterThanOrEqual(2);
    expect(config.regions[0]?.webhooks.maxBodyBytes).toBe(1024 * 1024);
    expect(config.regions[1]?.webhooks.maxBodyBytes).toBe(524288);
    expect(config.regions[0]?.webhooks.waf).toBe(true);
  });

  it('names a legal entity whose ERP instance does not exist', () => {
    const input = exampleConfigInput();
    input.legalEntities[0]!.instances.erp = 'netsuite-apac';

    expect(() => parseDeploymentConfig(input)).toThrow(/legalEntities\.0\.instances\.erp: .*netsuite-apac, which is not in vendorInstances/);
  });

  it('refuses a CRM instance in the ERP slot', () => {
    const input = exampleConfigInput();
    input.legalEntities[1]!.instances.erp = 'hubspot-main';

    expect(() => parseDeploymentConfig(input)).toThrow(/uses hubspot-main \(hubspot, a crm\) as its erp/);
  });

  it('refuses a legal entity in a region without a stack', () => {
    const input = exampleConfigInput();
    input.legalEntities[0]!.region = 'ap-southeast-2';

    expect(() => parseDeploymentConfig(input)).toThrow(/served by region ap-southeast-2, which has no entry in regions/);
  });

  it('refuses an event relay for an instance that is not Salesforce', () => {
    const input = exampleConfigInput();
    input.eventRelays![0]!.instance = 'hubspot-main';

    expect(() => parseDeploymentConfig(input)).toThrow(/eventRelays\.0\.instance/);
  });

  it('refuses two switches of equal specificity that disagree for the same request', () => {
    const input = exampleConfigInput();
    input.flowSwitches = [
      { flow: 'time-to-invoice', on: true, region: 'eu-west-1' },
      { flow: 'time-to-invoice', on: false, businessUnit: 'delivery' },
    ];

    expect(() => parseDeploymentConfig(input)).toThrow(/flow switches 0 and 1 for time-to-invoice .* disagree/);
  });

  it('accepts disagreeing switches of equal specificity that can never match the same request', () => {
    const input = exampleConfigInput();
    input.flowSwitches = [
      { flow: 'time-to-invoice', on: true, region: 'eu-west-1' },
      { flow: 'time-to-invoice', on: false, region: 'us-east-1' },
    ];

    expect(parseDeploymentConfig(input).flowSwitches).toHaveLength(2);
  });

  it('refuses unknown keys rather than ignoring a misspelt setting', () => {
    const input = { ...exampleConfigInput(), flowSwiches: [] };

    expect(() => parseDeploymentConfig(input)).toThrow(/flowSwiches/);
  });

  it('refuses a secret value where a secret name belongs', () => {
    const input = exampleConfigInput();
    input.vendorInstances[0]!.secretName = 'pat-na1-1234 5678';

    expect(() => parseDeploymentConfig(input)).toThrow(/vendorInstances\.0\.secretName/);
  });
});

describe('CRM settings', () => {
  it('requires won stages on a CRM instance and fills documented field-name defaults', () => {
    const config = parseDeploymentConfig(exampleConfigInput());
    const hubspot = config.vendorInstances.find((v) => v.id === 'hubspot-main');

    expect(hubspot?.crm?.wonStages).toEqual(['closedwon', '1067934']);
    expect(hubspot?.crm?.fields).toMatchObject({ erpCustomerId: 'ps_erp_customer_id', syncStatus: 'ps_sync_status' });

    const input = exampleConfigInput();
    delete input.vendorInstances[0]!.crm;
    expect(() => parseDeploymentConfig(input)).toThrow(/CRM instance hubspot-main needs crm.wonStages/);
  });
});

describe('HubSpot portalId', () => {
  it("is required on a HubSpot instance, a positive integer, and refused on other vendors' instances", () => {
    expect(parseDeploymentConfig(exampleConfigInput()).vendorInstances.find((v) => v.id === 'hubspot-main')?.portalId).toBe(21734952);

    const missing = exampleConfigInput();
    delete missing.vendorInstances.find((v) => v.id === 'hubspot-main')!.portalId;
    expect(() => parseDeploymentConfig(missing)).toThrow(/vendorInstances\.0\.portalId: HubSpot instance hubspot-main needs portalId/);

    for (const bad of [0, -5, 62515.5, '62515']) {
      const input = exampleConfigInput();
      (input.vendorInstances[0] as { portalId?: unknown }).portalId = bad;
      expect(() => parseDeploymentConfig(input), String(bad)).toThrow(/vendorInstances\.0\.portalId/);
    }

    const elsewhere = exampleConfigInput();
    elsewhere.vendorInstances.find((v) => v.id === 'kantata-global')!.portalId = 62515;
    expect(() => parseDeploymentConfig(elsewhere)).toThrow(/kantata-global is not a HubSpot instance but has a portalId/);
  });

  it("matches the local HubSpot sandbox's portal in the local configuration", () => {
    const local = JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;

    expect(parseDeploymentConfig(local).vendorInstances.find((v) => v.vendor === 'hubspot')?.portalId).toBe(62515);
  });
});

describe('Certinia settings', () => {
  const certinia = (extra: Record<string, unknown> = {}) => ({
    id: 'certinia-main',
    vendor: 'certinia' as const,
    secretName: 'ps-sync/demo/certinia-main',
    baseUrl: 'https://acme-psa.my.salesforce.com',
    ...extra,
  });

  it("take the org's own status values, default to Approved, and need the org's URL", () => {
    const input = exampleConfigInput();
    input.vendorInstances.push(certinia({ certinia: { approvedTimecardStatuses: ['Approved by PM', 'Approved by Client'] } }));

    expect(parseDeploymentConfig(input).vendorInstances.find((v) => v.id === 'certinia-main')?.certinia).toEqual({
      approvedTimecardStatuses: ['Approved by PM', 'Approved by Client'],
      approvedExpenseStatuses: ['Approved'],
      completedMilestoneStatuses: ['Approved'],
    });
    input.vendorInstances[input.vendorInstances.length - 1] = certinia({ baseUrl: undefined });
    expect(() => parseDeploymentConfig(input)).toThrow(/Certinia instance certinia-main needs baseUrl/);
  });

  it('refuse an empty list of status values, and Certinia settings on another vendor', () => {
    const input = exampleConfigInput();
    input.vendorInstances.push(certinia({ certinia: { completedMilestoneStatuses: [] } }));
    expect(() => parseDeploymentConfig(input)).toThrow(/certinia\.completedMilestoneStatuses/);

    input.vendorInstances.pop();
    input.vendorInstances.find((v) => v.id === 'kantata-global')!.certinia = {};
    expect(() => parseDeploymentConfig(input)).toThrow(/kantata-global is not a Certinia instance but has certinia settings/);
  });

  it("refuse a Certinia org as a legal entity's PSA: it is a source of approved work only, projects and invoices need Kantata", () => {
    const input = exampleConfigInput();
    input.vendorInstances.push(certinia());
    input.legalEntities[0]!.instances.psa = 'certinia-main';

    expect(() => parseDeploymentConfig(input)).toThrow(
      /legalEntities\.0\.instances\.psa: .*Certinia is supported as a source of approved work only; projects and invoices need a Kantata PSA for now/,
    );
  });

  it('accept the local configuration, whose Certinia org relays approved work while every legal entity uses Kantata as its PSA', () => {
    const local = JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;

    const config = parseDeploymentConfig(local);

    expect(config.vendorInstances.find((v) => v.id === 'certinia-main')?.vendor).toBe('certinia');
    expect(config.legalEntities.map((e) => e.instances.psa)).not.toContain('certinia-main');
  });

  it('accept an event relay for a Certinia org', () => {
    const input = exampleConfigInput();
    input.vendorInstances.push(certinia());
    input.eventRelays!.push({
      instance: 'certinia-main',
      region: 'us-east-1',
      channel: '/data/ChangeEvents',
      eventSourceName: 'aws.partner/salesforce.com/00DCERT/0YLCERT',
    });

    expect(parseDeploymentConfig(input).eventRelays.map((r) => r.instance)).toContain('certinia-main');
  });
});

describe('event relays, one per channel', () => {
  const salesforceRelays = (input: DeploymentConfigInput) => input.eventRelays!.filter((r) => r.instance === 'salesforce-main');

  it('accept a change-event relay and a platform-event relay for one org in one region, each its own partner source', () => {
    const config = parseDeploymentConfig(exampleConfigInput());
    const relays = config.eventRelays.filter((r) => r.instance === 'salesforce-main' && r.region === 'eu-west-1');

    expect(relays.map(relayedEvents).sort()).toEqual(['change-events', 'platform-events']);
    expect(new Set(relays.map((r) => r.eventSourceName)).size).toBe(2);
  });

  it('need the channel the relay relays', () => {
    const input = exampleConfigInput();
    delete (salesforceRelays(input)[0] as { channel?: string }).channel;

    expect(() => parseDeploymentConfig(input)).toThrow(/eventRelays\.0\.channel/);
  });

  it('refuse a channel that is neither /data/ nor /event/', () => {
    const input = exampleConfigInput();
    salesforceRelays(input)[0]!.channel = 'Deal_Won_Relay__chn';

    expect(() => parseDeploymentConfig(input)).toThrow(/eventRelays\.0\.channel: \/data\/<channel> \(change events\) or \/event\/<channel>/);
  });

  it('refuse the same partner source twice, and the same channel relayed twice', () => {
    const twice = exampleConfigInput();
    salesforceRelays(twice)[1]!.eventSourceName = salesforceRelays(twice)[0]!.eventSourceName;
    expect(() => parseDeploymentConfig(twice)).toThrow(/eventRelays\.1\.eventSourceName: .* is configured twice/);

    const sameChannel = exampleConfigInput();
    salesforceRelays(sameChannel)[1]!.channel = salesforceRelays(sameChannel)[0]!.channel;
    expect(() => parseDeploymentConfig(sameChannel)).toThrow(/eventRelays\.1\.channel: salesforce-main relays channel .* twice/);
  });

  it('refuse a platform-event relay for a Certinia org', () => {
    const input = exampleConfigInput();
    input.vendorInstances.push({
      id: 'certinia-main',
      vendor: 'certinia',
      secretName: 'ps-sync/demo/certinia-main',
      baseUrl: 'https://acme-psa.my.salesforce.com',
    });
    input.eventRelays!.push({
      instance: 'certinia-main',
      region: 'us-east-1',
      channel: '/event/Certinia_Relay__chn',
      eventSourceName: 'aws.partner/salesforce.com/00DCERT/0YLCERT',
    });

    expect(() => parseDeploymentConfig(input)).toThrow(/Certinia is read from change events only/);
  });
});

describe('Salesforce instance settings', () => {
  const salesforce = (input: DeploymentConfigInput) => input.vendorInstances.find((v) => v.id === 'salesforce-main')!;
  const hubspot = (input: DeploymentConfigInput) => input.vendorInstances.find((v) => v.vendor === 'hubspot')!;

  it('name the won-deal platform event, with Deal_Won__e and Opportunity_Id__c when omitted', () => {
    const input = exampleConfigInput();
    salesforce(input).crm = { wonStages: ['Closed Won'], dealWonEvent: { apiName: 'PS_Deal_Closed__e' } };
    const configured = parseDeploymentConfig(input).vendorInstances.find((v) => v.id === 'salesforce-main')!;

    expect(dealWonEventOf(configured.crm)).toEqual({ apiName: 'PS_Deal_Closed__e', opportunityIdField: 'Opportunity_Id__c' });
    expect(dealWonEventOf({ wonStages: ['Closed Won'], fields: configured.crm!.fields })).toEqual({
      apiName: 'Deal_Won__e',
      opportunityIdField: 'Opportunity_Id__c',
    });
  });

  it('refuse a won-deal event that is not a platform event, or on a HubSpot instance', () => {
    const notAnEvent = exampleConfigInput();
    salesforce(notAnEvent).crm = { wonStages: ['Closed Won'], dealWonEvent: { apiName: 'Opportunity' } };
    expect(() => parseDeploymentConfig(notAnEvent)).toThrow(/crm\.dealWonEvent\.apiName: a platform event API name/);

    const onHubSpot = exampleConfigInput();
    hubspot(onHubSpot).crm = { ...hubspot(onHubSpot).crm!, dealWonEvent: { apiName: 'Deal_Won__e' } };
    expect(() => parseDeploymentConfig(onHubSpot)).toThrow(/is not a Salesforce instance but has a dealWonEvent/);
  });

  it('set the Sforce-Call-Options client id, the deployment name when omitted', () => {
    const input = exampleConfigInput();
    salesforce(input).callOptionsClient = 'acme-ps-sync';
    const config = parseDeploymentConfig(input);

    expect(callOptionsClientOf(config, config.vendorInstances.find((v) => v.id === 'salesforce-main')!)).toBe('acme-ps-sync');
    expect(callOptionsClientOf(config, {})).toBe(config.name);
  });

  it('refuse a client id that would split the call options, or one on a vendor that takes none', () => {
    const separator = exampleConfigInput();
    salesforce(separator).callOptionsClient = 'ps-sync;defaultNamespace=x';
    expect(() => parseDeploymentConfig(separator)).toThrow(/callOptionsClient/);

    const onHubSpot = exampleConfigInput();
    hubspot(onHubSpot).callOptionsClient = 'ps-sync';
    expect(() => parseDeploymentConfig(onHubSpot)).toThrow(/is not a Salesforce or Certinia instance but has a callOptionsClient/);
  });
});

describe('ownership overrides', () => {
  it('are applied on top of the defaults, and a bad one is refused when the configuration is read', () => {
    const input = exampleConfigInput();
    input.ownership = { customer: { attributes: { billingAddress: 'erp' } } };

    expect(ownershipPolicy(parseDeploymentConfig(input)).customer?.attributes.billingAddress).toBe('erp');

    input.ownership = { customer: { attributes: { shoeSize: 'erp' } } };
    expect(() => parseDeploymentConfig(input)).toThrow(/ownership: .*customer\.shoeSize/);
  });
});

describe('vendor tenant budgets', () => {
  it('split a tenant between regions and refuse shares above its limit, or a reservation that leaves nothing', () => {
    const input = exampleConfigInput();
    const kantata = input.vendorInstances.find((v) => v.id === 'kantata-global')!;
    kantata.regionShares = { 'us-east-1': 3, 'eu-west-1': 1 };
    const config = parseDeploymentConfig(input);
    const instance = config.vendorInstances.find((v) => v.id === 'kantata-global')!;

    expect([regionalConcurrency(instance, 'us-east-1'), regionalConcurrency(instance, 'eu-west-1'), regionalConcurrency(instance, 'ap-south-1')]).toEqual([
      3, 1, 4,
    ]);
    kantata.regionShares = { 'us-east-1': 4, 'eu-west-1': 1 };
    expect(() => parseDeploymentConfig(input)).toThrow(/region shares of kantata-global add up to 5, more than its maxConcurrency 4/);
    kantata.regionShares = {};
    kantata.reservedForBilling = 4;
    expect(() => parseDeploymentConfig(input)).toThrow(/reserves 4 of 4 slots for billing/);
  });
});

describe('vendor URLs', () => {
  it('must be https, so no credential or business record crosses a network in clear', () => {
    const input = exampleConfigInput();
    input.vendorInstances.find((v) => v.id === 'salesforce-main')!.baseUrl = 'http://acme-demo.my.salesforce.com';
    input.vendorInstances.find((v) => v.id === 'business-central-de')!.authorityUrl = 'http://login.microsoftonline.com';

    expect(() => parseDeploymentConfig(input)).toThrow(/vendorInstances\.1\.baseUrl: https:\/\/[\s\S]*vendorInstances\.5\.authorityUrl: https:\/\//);
    // Not a URL at all: listed with the other problems, not thrown by the https check.
    input.vendorInstances.find((v) => v.id === 'salesforce-main')!.baseUrl = 'acme-demo.my.salesforce.com';
    expect(() => parseDeploymentConfig(input)).toThrow(/Invalid deployment configuration:[\s\S]*vendorInstances\.1\.baseUrl: Invalid URL/);
  });

  it('may be http to a loopback address only, where the local stack runs its sandboxes', () => {
    const local = JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;
    const business = local.vendorInstances.find((v) => v.id === 'business-central-uk')!;
    for (const host of ['127.0.0.1:49152', '[::1]:49152', 'localhost:49152']) {
      for (const instance of local.vendorInstances) instance.baseUrl = `http://${host}`;
      business.authorityUrl = `http://${host}`;
      expect(parseDeploymentConfig(local).vendorInstances.every((v) => v.baseUrl === `http://${host}`)).toBe(true);
    }
    // Not loopback: a private address or a name that merely starts like one still crosses a network.
    for (const host of ['10.0.0.5', '127.0.0.1.example.com', 'localhost.example.com']) {
      business.authorityUrl = `http://${host}`;
      expect(() => parseDeploymentConfig(local), host).toThrow(/authorityUrl: https:\/\//);
    }
  });
});

describe('deployment tags', () => {
  it('require an owner and a cost center, in characters every taggable resource accepts', () => {
    const input = exampleConfigInput();
    expect(parseDeploymentConfig(input).tags).toEqual({ owner: 'integration-platform', costCenter: 'CC-4100' });

    delete (input as { tags?: unknown }).tags;
    expect(() => parseDeploymentConfig(input)).toThrow(/tags: /);
    input.tags = { owner: 'integration-platform', costCenter: '' };
    expect(() => parseDeploymentConfig(input)).toThrow(/tags\.costCenter/);
    input.tags = { owner: 'team <platform>', costCenter: 'CC-4100' };
    expect(() => parseDeploymentConfig(input)).toThrow(/tags\.owner/);
  });

  it('leave termination protection on unless a region turns it off', () => {
    const input = exampleConfigInput();
    input.regions[1]!.terminationProtection = false;

    expect(parseDeploymentConfig(input).regions.map((r) => r.terminationProtection)).toEqual([true, false]);
  });
});

describe('NetSuite subsidiaries and currency ids', () => {
  const local = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;

  it('name the subsidiary each legal entity of a OneWorld account posts to, and the currency records by ISO code', () => {
    const config = parseDeploymentConfig(local());

    expect(config.legalEntities.filter((e) => e.instances.erp === 'netsuite-us').map((e) => [e.id, e.erpSubsidiaryId])).toEqual([
      ['acme-us', '1'],
      ['acme-enterprise', '2'],
    ]);
    expect(config.legalEntities.find((e) => e.id === 'acme-ca')?.erpSubsidiaryId).toBeUndefined();
    expect(config.vendorInstances.find((v) => v.id === 'netsuite-us')?.currencyIds).toMatchObject({ USD: '1' });
    expect(config.vendorInstances.find((v) => v.id === 'netsuite-us')).toMatchObject({ paymentTermsIds: { NET30: '2' }, taxItemIds: { 'US-EXEMPT': '11' } });
  });

  it('refuse a OneWorld account where one of its legal entities names no subsidiary, since every customer and project needs one', () => {
    const input = local();
    delete input.legalEntities.find((e) => e.id === 'acme-enterprise')!.erpSubsidiaryId;

    expect(() => parseDeploymentConfig(input)).toThrow(
      /legalEntities\.1\.erpSubsidiaryId: legal entity acme-enterprise names no erpSubsidiaryId, but other entities on netsuite-us do/,
    );
  });

  it('refuse a subsidiary on an entity whose ERP is not NetSuite, a subsidiary id that is not an internal id, and currency ids elsewhere', () => {
    const input = local();
    input.legalEntities.find((e) => e.id === 'acme-uk')!.erpSubsidiaryId = '7';
    input.legalEntities.find((e) => e.id === 'acme-us')!.erpSubsidiaryId = 'Acme US';
    input.vendorInstances.find((v) => v.id === 'business-central-uk')!.currencyIds = { GBP: '1' };

    expect(() => parseDeploymentConfig(input)).toThrow(/acme-uk names a subsidiary, but its ERP business-central-uk is business-central/);
    expect(() => parseDeploymentConfig(input)).toThrow(/legalEntities\.0\.erpSubsidiaryId: a NetSuite subsidiary internal id/);
    expect(() => parseDeploymentConfig(input)).toThrow(/business-central-uk is not a NetSuite instance but has currencyIds/);
  });

  it('refuse payment terms and tax item ids on an instance that is not NetSuite, and ids that are not internal ids', () => {
    const input = local();
    const bc = input.vendorInstances.find((v) => v.id === 'business-central-uk')!;
    bc.paymentTermsIds = { NET30: '2' };
    bc.taxItemIds = { 'UK-VAT': '11' };
    input.vendorInstances.find((v) => v.id === 'netsuite-ca')!.paymentTermsIds = { NET30: 'Net 30' };

    expect(() => parseDeploymentConfig(input)).toThrow(/business-central-uk is not a NetSuite instance but has paymentTermsIds/);
    expect(() => parseDeploymentConfig(input)).toThrow(/business-central-uk is not a NetSuite instance but has taxItemIds/);
    expect(() => parseDeploymentConfig(input)).toThrow(/paymentTermsIds\.NET30: a NetSuite internal id \(digits\)/);
  });
});

describe('A legal entity’s parallel run', () => {
  const local = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'deployment.local.json'), 'utf8')) as DeploymentConfigInput;

  it('names the ERP a migration wave moves the entity to: the local acme-ca, moving from its own account onto the OneWorld one', () => {
    expect(parseDeploymentConfig(local()).legalEntities.find((e) => e.id === 'acme-ca')?.parallelRun).toEqual({ erp: 'netsuite-us' });
  });

  it('refuses an unknown instance, one that is not an ERP, and the entity’s primary ERP', () => {
    const unknown = local();
    unknown.legalEntities[3]!.parallelRun = { erp: 'netsuite-eu' };
    const crm = local();
    crm.legalEntities[3]!.parallelRun = { erp: 'hubspot-main' };
    const primary = local();
    primary.legalEntities[3]!.parallelRun = { erp: 'netsuite-ca' };

    expect(() => parseDeploymentConfig(unknown)).toThrow(
      /legalEntities\.3\.parallelRun\.erp: legal entity acme-ca names parallel-run ERP netsuite-eu, which is not in vendorInstances/,
    );
    expect(() => parseDeploymentConfig(crm)).toThrow(/acme-ca uses hubspot-main \(hubspot, a crm\) as its parallel-run ERP/);
    expect(() => parseDeploymentConfig(primary)).toThrow(/acme-ca names its primary ERP netsuite-ca as its parallel-run ERP/);
  });
});
