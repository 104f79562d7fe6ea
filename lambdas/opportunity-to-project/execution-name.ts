import type { OpportunityWonEvent } from '../../canonical';

/**
 * The execution name of a deal revision: `<crm instance>-<deal id>-r<revision>`, limited to the
 * characters and 80-character length Step Functions allows. The same deal and revision always give
 * the same name, so a duplicate start is refused by Step Functions itself; a re-run after a data fix
 * bumps the revision and gets a new name.
 */
export function executionName(event: OpportunityWonEvent): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  const name = `${safe(event.source.instance)}-${safe(event.payload.opportunity.crmId)}-r${event.payload.opportunity.revision}`;
  if (name.length > 80) throw new Error(`Execution name ${name} exceeds 80 characters`);
  return name;
}
