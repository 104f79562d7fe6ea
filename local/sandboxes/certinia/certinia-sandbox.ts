import { type SalesforceSandbox, type SalesforceSandboxOptions, startSalesforceSandbox } from '../salesforce/salesforce-sandbox';
import type { ParentRelationship } from '../salesforce/soql';

/**
 * A Certinia PSA org on loopback. Certinia is a managed package in a Salesforce org, so this is the
 * Salesforce sandbox (REST, SOQL, errors, API allocation, Change Data Capture through Event Relay)
 * with the package's objects and fields (`pse__` namespace, as Certinia's data dictionary names them),
 * their lookups for relationship queries, and the status picklists as restricted picklists whose
 * values each org configures (docs/vendors/certinia.md). Changes to timecards, expenses and milestones are relayed
 * as `pse__Timecard_Header__ChangeEvent`, `pse__Expense__ChangeEvent` and `pse__Milestone__ChangeEvent`.
 *
 * The helpers are a person at work in Certinia, through the back office: they create a project, a
 * resource and an assignment, submit a weekly timecard or an expense, approve it, complete a milestone.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** A day of a Certinia timecard week. */
export type Weekday = (typeof DAYS)[number];

/** Certinia's objects and the fields of each the sandbox accepts (system fields such as LastModifiedDate come with every record). */
export const CERTINIA_OBJECT_FIELDS = {
  pse__Proj__c: [
    'Name',
    'pse__Account__c',
    'pse__Is_Active__c',
    'pse__Is_Billable__c',
    'pse__Start_Date__c',
    'pse__End_Date__c',
    'pse__Billing_Type__c',
    'CurrencyIsoCode',
  ],
  // Resources are Contacts with Certinia's fields.
  Contact: ['FirstName', 'LastName', 'Email', 'pse__Is_Resource__c', 'pse__Is_Resource_Active__c', 'pse__Resource_Role__c'],
  pse__Assignment__c: [
    'Name',
    'pse__Project__c',
    'pse__Resource__c',
    'pse__Role__c',
    'pse__Bill_Rate__c',
    'pse__Is_Billable__c',
    'pse__Start_Date__c',
    'pse__End_Date__c',
    'CurrencyIsoCode',
  ],
  pse__Milestone__c: [
    'Name',
    'pse__Project__c',
    'pse__Status__c',
    'pse__Milestone_Amount__c',
    'pse__Target_Date__c',
    'pse__Actual_Date__c',
    'pse__Approved__c',
    'pse__Approved_for_Billing__c',
    'CurrencyIsoCode',
  ],
  pse__Timecard_Header__c: [
    'pse__Project__c',
    'pse__Resource__c',
    'pse__Assignment__c',
    'pse__Milestone__c',
    'pse__Start_Date__c',
    'pse__End_Date__c',
    'pse__Status__c',
    'pse__Submitted__c',
    'pse__Approved__c',
    'pse__Billable__c',
    'pse__Timecard_Notes__c',
    'CurrencyIsoCode',
    ...DAYS.map((d) => `pse__${d}_Hours__c`),
  ],
  pse__Expense__c: [
    'pse__Project__c',
    'pse__Resource__c',
    'pse__Assignment__c',
    'pse__Milestone__c',
    'pse__Expense_Date__c',
    'pse__Type__c',
    'pse__Amount__c',
    'CurrencyIsoCode',
    'pse__Billable__c',
    'pse__Status__c',
    'pse__Submitted__c',
    'pse__Approved__c',
    'pse__Description__c',
  ],
} as const;

const lookup = (field: string, sobject: string): ParentRelationship => ({ lookupField: field, sobject });
const PROJECT = lookup('pse__Project__c', 'pse__Proj__c');
const RESOURCE = lookup('pse__Resource__c', 'Contact');
const ASSIGNMENT = lookup('pse__Assignment__c', 'pse__Assignment__c');
const MILESTONE = lookup('pse__Milestone__c', 'pse__Milestone__c');
/** Each lookup's relationship name (`pse__Assignment__r`), as SOQL selects through it. */
const RELATIONSHIPS = {
  pse__Assignment__c: { pse__Project__r: PROJECT, pse__Resource__r: RESOURCE },
  pse__Milestone__c: { pse__Project__r: PROJECT },
  pse__Timecard_Header__c: { pse__Project__r: PROJECT, pse__Resource__r: RESOURCE, pse__Assignment__r: ASSIGNMENT, pse__Milestone__r: MILESTONE },
  pse__Expense__c: { pse__Project__r: PROJECT, pse__Resource__r: RESOURCE, pse__Assignment__r: ASSIGNMENT, pse__Milestone__r: MILESTONE },
};

/** The values of each status picklist; an org may rename, add or remove them. */
export interface CertiniaStatusValues {
  readonly timecard: readonly string[];
  readonly expense: readonly string[];
  readonly milestone: readonly string[];
}

/** Status values as a new org has them (timecards and expenses as Certinia documents them; milestones unverified). */
export const DEFAULT_STATUS_VALUES: CertiniaStatusValues = {
  timecard: ['Saved', 'Submitted', 'Approved', 'Rejected'],
  expense: ['Saved', 'Submitted', 'Approved', 'Rejected'],
  milestone: ['Planned', 'Open', 'Approved', 'Canceled'],
};

/** Objects whose changes the org relays. */
export const RELAYED_OBJECTS = ['pse__Timecard_Header__c', 'pse__Expense__c', 'pse__Milestone__c'] as const;

/** Options of {@link startCertiniaSandbox}. */
export interface CertiniaSandboxOptions {
  /** The org's connected apps and users (a Certinia org is a Salesforce org: the same OAuth flows). */
  readonly oauth: SalesforceSandboxOptions['oauth'];
  /** This org's status picklists. @default DEFAULT_STATUS_VALUES */
  readonly statusValues?: Partial<CertiniaStatusValues>;
  /** Event Relay onto a partner event bus; timecard, expense and milestone changes are relayed, enriched with their project. */
  readonly relay?: Pick<NonNullable<SalesforceSandboxOptions['relay']>, 'eventSourceName' | 'put'>;
  /** @default 15_000 */
  readonly dailyLimit?: number;
  readonly port?: number;
}

/** A weekly timecard as a resource submits it. */
export interface WeeklyTimecard {
  readonly project: string;
  readonly resource: string;
  readonly assignment?: string;
  /** The week's first day, `YYYY-MM-DD`. */
  readonly weekStart: string;
  readonly hours: Partial<Record<Weekday, number>>;
  /** @default true */
  readonly billable?: boolean;
}

/** A running Certinia org: the Salesforce sandbox and what people do in Certinia. */
export interface CertiniaSandbox extends SalesforceSandbox {
  createProject(project: { name: string; currency: string; startDate?: string }): Promise<string>;
  /** A resource (a Contact) with its default role. */
  createResource(resource: { firstName: string; lastName: string; role?: string }): Promise<string>;
  createAssignment(assignment: { project: string; resource: string; role: string; billRate?: number }): Promise<string>;
  createMilestone(milestone: { project: string; name: string; amount: number; currency: string; targetDate: string; status?: string }): Promise<string>;
  /** Saves a weekly timecard and submits it for approval. */
  submitTimecard(timecard: WeeklyTimecard, status?: string): Promise<string>;
  submitExpense(
    expense: { project: string; resource: string; date: string; type: string; amount: number; currency: string; billable?: boolean },
    status?: string,
  ): Promise<string>;
  /** An approver sets the status (the org's approved value) and the Approved box, as Certinia's approval process does. */
  approve(sobject: 'pse__Timecard_Header__c' | 'pse__Expense__c', id: string, status?: string): Promise<void>;
  /** A project manager moves a milestone to a completed status with its actual date. */
  completeMilestone(id: string, completion: { actualDate: string; status?: string }): Promise<void>;
  /** A person's change to any field of a record (reopening, correcting hours). */
  change(sobject: string, id: string, values: Record<string, unknown>): Promise<void>;
}

/** Starts the sandbox. */
export async function startCertiniaSandbox(options: CertiniaSandboxOptions): Promise<CertiniaSandbox> {
  const statuses = { ...DEFAULT_STATUS_VALUES, ...options.statusValues };
  const org = await startSalesforceSandbox({
    oauth: options.oauth,
    fields: CERTINIA_OBJECT_FIELDS,
    relationships: RELATIONSHIPS,
    picklists: {
      pse__Timecard_Header__c: { pse__Status__c: statuses.timecard },
      pse__Expense__c: { pse__Status__c: statuses.expense },
      pse__Milestone__c: { pse__Status__c: statuses.milestone },
    },
    ...(options.relay
      ? { relay: { ...options.relay, entities: RELAYED_OBJECTS, enrichedFields: Object.fromEntries(RELAYED_OBJECTS.map((o) => [o, ['pse__Project__c']])) } }
      : {}),
    ...(options.dailyLimit === undefined ? {} : { dailyLimit: options.dailyLimit }),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  const backOffice = async (method: 'POST' | 'PATCH', path: string, body: Record<string, unknown>): Promise<string | undefined> => {
    const response = await fetch(`${org.url}/__sandbox/sobjects/${path}`, { method, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`Certinia sandbox refused ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 201 ? ((await response.json()) as { id: string }).id : undefined;
  };
  const create = async (sobject: string, values: Record<string, unknown>) => (await backOffice('POST', sobject, values))!;
  const change = async (sobject: string, id: string, values: Record<string, unknown>) => void (await backOffice('PATCH', `${sobject}/${id}`, values));
  const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  return Object.assign(org, {
    createProject: ({ name, currency, startDate }: { name: string; currency: string; startDate?: string }) =>
      create('pse__Proj__c', {
        Name: name,
        CurrencyIsoCode: currency,
        pse__Is_Active__c: true,
        pse__Is_Billable__c: true,
        pse__Billing_Type__c: 'Time and Materials',
        ...(startDate ? { pse__Start_Date__c: startDate } : {}),
      }),
    createResource: ({ firstName, lastName, role }: { firstName: string; lastName: string; role?: string }) =>
      create('Contact', {
        FirstName: firstName,
        LastName: lastName,
        pse__Is_Resource__c: true,
        pse__Is_Resource_Active__c: true,
        ...(role ? { pse__Resource_Role__c: role } : {}),
      }),
    createAssignment: ({ project, resource, role, billRate }: { project: string; resource: string; role: string; billRate?: number }) =>
      create('pse__Assignment__c', {
        Name: `${role} assignment`,
        pse__Project__c: project,
        pse__Resource__c: resource,
        pse__Role__c: role,
        pse__Is_Billable__c: true,
        ...(billRate === undefined ? {} : { pse__Bill_Rate__c: billRate }),
      }),
    createMilestone: ({
      project,
      name,
      amount,
      currency,
      targetDate,
      status,
    }: {
      project: string;
      name: string;
      amount: number;
      currency: string;
      targetDate: string;
      status?: string;
    }) =>
      create('pse__Milestone__c', {
        Name: name,
        pse__Project__c: project,
        pse__Milestone_Amount__c: amount,
        CurrencyIsoCode: currency,
        pse__Target_Date__c: targetDate,
        pse__Status__c: status ?? statuses.milestone[0],
        pse__Approved__c: false,
      }),
    submitTimecard: (t: WeeklyTimecard, status = 'Submitted') =>
      create('pse__Timecard_Header__c', {
        pse__Project__c: t.project,
        pse__Resource__c: t.resource,
        ...(t.assignment ? { pse__Assignment__c: t.assignment } : {}),
        pse__Start_Date__c: t.weekStart,
        pse__End_Date__c: plusDays(t.weekStart, 6),
        ...Object.fromEntries(DAYS.map((d) => [`pse__${d}_Hours__c`, t.hours[d] ?? 0])),
        pse__Billable__c: t.billable ?? true,
        pse__Status__c: status,
        pse__Submitted__c: true,
        pse__Approved__c: false,
      }),
    submitExpense: (
      e: { project: string; resource: string; date: string; type: string; amount: number; currency: string; billable?: boolean },
      status = 'Submitted',
    ) =>
      create('pse__Expense__c', {
        pse__Project__c: e.project,
        pse__Resource__c: e.resource,
        pse__Expense_Date__c: e.date,
        pse__Type__c: e.type,
        pse__Amount__c: e.amount,
        CurrencyIsoCode: e.currency,
        pse__Billable__c: e.billable ?? true,
        pse__Status__c: status,
        pse__Submitted__c: true,
        pse__Approved__c: false,
      }),
    approve: (sobject: 'pse__Timecard_Header__c' | 'pse__Expense__c', id: string, status = 'Approved') =>
      change(sobject, id, { pse__Status__c: status, pse__Approved__c: true }),
    completeMilestone: (id: string, { actualDate, status = 'Approved' }: { actualDate: string; status?: string }) =>
      change('pse__Milestone__c', id, { pse__Status__c: status, pse__Actual_Date__c: actualDate, pse__Approved__c: true }),
    change,
  });
}
