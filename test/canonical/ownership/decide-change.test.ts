import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Customer, Project } from '../../../canonical';
import { DEFAULT_OWNERSHIP, decideChange, ownerOf, withOverrides } from '../../../canonical/ownership';
import type { Vendor } from '../../../canonical/systems';
import { roleOf } from '../../../canonical/systems';

const customer = '7f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f';

describe('decideChange', () => {
  it('does not let an ERP address change overwrite CRM-owned fields, but applies the tax profile it owns', () => {
    const decision = decideChange(DEFAULT_OWNERSHIP, {
      entityType: 'customer',
      globalId: customer,
      source: { vendor: 'netsuite', instance: 'netsuite-us' },
      attributes: { billingAddress: { street: '2 Globex Way', city: 'Springfield' }, taxProfileCode: 'US-OR-STD' },
    });

    expect(decision.outcome).toBe('partially-applied');
    expect(decision.apply).toEqual({ taxProfileCode: 'US-OR-STD' });
    expect(decision.refused.map((r) => [r.attribute, r.owner])).toEqual([
      ['billingAddress.street', 'crm'],
      ['billingAddress.city', 'crm'],
    ]);
    expect(decision.refused[0]?.reason).toBe(
      'billingAddress.street of customer is owned by crm; the change from erp (netsuite/netsuite-us) was not applied. Change it in the crm instead.',
    );
  });

  it('does not let a PSA project code override ERP numbering', () => {
    const decision = decideChange(DEFAULT_OWNERSHIP, {
      entityType: 'project',
      globalId: customer,
      source: { vendor: 'kantata', instance: 'kantata-global' },
      attributes: { projectCode: 'KAN-0042', name: 'Globex rollout' },
    });

    expect(decision.apply).toEqual({ name: 'Globex rollout' });
    expect(decision.refused).toEqual([expect.objectContaining({ attribute: 'projectCode', owner: 'erp' })]);
  });

  it('reports a wholly refused change with owner and reason rather than dropping it', () => {
    const decision = decideChange(DEFAULT_OWNERSHIP, {
      entityType: 'invoice',
      globalId: customer,
      source: { vendor: 'hubspot', instance: 'hubspot-main' },
      attributes: { invoiceNumber: 'INV-1' },
    });

    expect(decision).toEqual({
      outcome: 'refused',
      apply: {},
      refused: [expect.objectContaining({ attribute: 'invoiceNumber', owner: 'erp', reason: expect.stringContaining('owned by erp') })],
    });
  });

  it('applies the CRM changing its own address', () => {
    const decision = decideChange(DEFAULT_OWNERSHIP, {
      entityType: 'customer',
      globalId: customer,
      source: { vendor: 'salesforce', instance: 'salesforce-main' },
      attributes: { 'billingAddress.street': '3 Globex Way' },
    });

    expect(decision).toEqual({ outcome: 'applied', apply: { 'billingAddress.street': '3 Globex Way' }, refused: [] });
  });

  it('refuses an attribute the policy does not know, with its own reason', () => {
    const decision = decideChange(DEFAULT_OWNERSHIP, {
      entityType: 'customer',
      globalId: customer,
      source: { vendor: 'hubspot', instance: 'h' },
      attributes: { favouriteColour: 'teal' },
    });

    expect(decision.refused).toEqual([
      expect.objectContaining({ attribute: 'favouriteColour', owner: undefined, reason: expect.stringContaining('not a known attribute of customer') }),
    ]);
  });

  it('lets the most specific path win', () => {
    const policy = withOverrides(DEFAULT_OWNERSHIP, { customer: { attributes: { 'billingAddress.postalCode': 'erp' } } });

    expect(ownerOf(policy, 'customer', 'billingAddress.street')).toBe('crm');
    expect(ownerOf(policy, 'customer', 'billingAddress.postalCode')).toBe('erp');
  });
});

describe('withOverrides', () => {
  it('flips the result when a deployment makes the ERP own the billing address', () => {
    const policy = withOverrides(DEFAULT_OWNERSHIP, { customer: { attributes: { billingAddress: 'erp' } } });

    const decision = decideChange(policy, {
      entityType: 'customer',
      globalId: customer,
      source: { vendor: 'netsuite', instance: 'n' },
      attributes: { billingAddress: { street: 'x' } },
    });

    expect(decision.outcome).toBe('applied');
    expect(DEFAULT_OWNERSHIP.customer?.attributes.billingAddress).toBeUndefined();
  });

  it('rejects an override of an unknown attribute or with an unknown role, naming it', () => {
    expect(() => withOverrides(DEFAULT_OWNERSHIP, { customer: { attributes: { shoeSize: 'erp' } } })).toThrow(
      /customer\.shoeSize, which is not a known attribute/,
    );
    expect(() => withOverrides(DEFAULT_OWNERSHIP, { customer: { attributes: { name: 'billing' as never } } })).toThrow(
      /Invalid ownership overrides: customer\.attributes\.name/,
    );
  });
});

describe('the default policy', () => {
  it('knows every attribute of the customer and project schemas, so a real change is never refused as unknown', () => {
    const schemaAttributes = (shape: Record<string, unknown>) => Object.keys(shape).filter((k) => !['globalId', 'schemaVersion', 'mergedInto'].includes(k));

    expect(schemaAttributes(Customer.shape).filter((a) => ownerOf(DEFAULT_OWNERSHIP, 'customer', a) === undefined)).toEqual([]);
    expect(schemaAttributes(Project.shape).filter((a) => ownerOf(DEFAULT_OWNERSHIP, 'project', a) === undefined)).toEqual([]);
  });

  it('puts every proposed attribute in exactly one of apply and refused, and never applies what another role owns', () => {
    const vendors: Vendor[] = ['salesforce', 'hubspot', 'kantata', 'netsuite', 'workday'];
    const customerAttributes = DEFAULT_OWNERSHIP.customer!.known;
    fc.assert(
      fc.property(
        fc.constantFrom(...vendors),
        fc.uniqueArray(fc.constantFrom(...customerAttributes, 'unknownField'), { minLength: 1 }),
        (vendor, attributes) => {
          const decision = decideChange(DEFAULT_OWNERSHIP, {
            entityType: 'customer',
            globalId: customer,
            source: { vendor, instance: 'x' },
            attributes: Object.fromEntries(attributes.map((a) => [a, 'v'])),
          });
          const applied = Object.keys(decision.apply);
          const refused = decision.refused.map((r) => r.attribute);
          expect([...applied, ...refused].sort()).toEqual([...attributes].sort());
          for (const a of applied) expect(ownerOf(DEFAULT_OWNERSHIP, 'customer', a)).toBe(roleOf(vendor));
        },
      ),
    );
  });
});
