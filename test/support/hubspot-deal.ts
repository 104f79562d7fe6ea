/**
 * A deal in the HubSpot sandbox's back office, as a salesperson enters it before winning it: the
 * commercial fields our intake reads, a company, and line items for rates, a task and a milestone.
 * Returns the deal's id.
 */
export async function createHubSpotDeal(
  hubspotUrl: string,
  options: { company?: string; overrides?: Record<string, string>; extraLineItems?: Record<string, string>[] } = {},
): Promise<string> {
  const company = options.company ?? 'Globex Corporation';
  const response = await fetch(`${hubspotUrl}/__sandbox/deals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      deal: {
        dealname: `${company} rollout`,
        dealstage: 'contractsent',
        amount: '125000',
        deal_currency_code: 'USD',
        closedate: '2026-11-20',
        ps_legal_entity: 'acme-us',
        ps_business_unit: 'delivery',
        ps_tax_profile: 'US-EXEMPT',
        ps_billing_terms: 'time-and-materials',
        ps_payment_terms: 'NET30',
        ps_contract_start: '2026-12-01',
        ...options.overrides,
      },
      company: { name: company, country: 'US', city: 'Springfield' },
      lineItems: [
        { name: 'Consultant', price: '165.50', ps_line_type: 'rate', ps_effective_from: '2026-12-01', ps_effective_to: '2027-03-31' },
        { name: 'Consultant', price: '172.00', ps_line_type: 'rate', ps_effective_from: '2027-04-01' },
        { name: 'Principal', price: '275', ps_line_type: 'rate', ps_effective_from: '2026-12-01' },
        { name: 'Discovery', ps_line_type: 'task', ps_estimated_hours: '40' },
        { name: 'Design signed off', price: '25000', quantity: '1', ps_line_type: 'milestone' },
        ...(options.extraLineItems ?? []),
      ],
    }),
  });
  return ((await response.json()) as { id: string }).id;
}
