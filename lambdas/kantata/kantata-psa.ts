import Decimal from 'decimal.js';
import { CURRENCY_EXPONENTS, CurrencyCode, type Money } from '../../canonical';
import type { AuditTrail } from '../common/audit-trail';
import { SyncError, type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../common/errors';
import { sendWithOneRefresh } from '../common/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../common/http/vendor-http';
import { JournalProgress, NO_JOURNAL, type WriteJournal } from '../common/write-journal';
import type {
  CompletedMilestone,
  PolledWork,
  PsaBillingPort,
  PsaInvoice,
  PsaInvoiceOfPeriod,
  PsaInvoiceReadPort,
  PsaPort,
  PsaProjectDraft,
} from '../ports/psa';
import { planKantataRateCard, RateCardNotRepresentableError, type RateCardVersionPlan } from './rate-card-plan';

/**
 * The instance's secret: a Kantata OAuth bearer token (an application's own token or a user's from the
 * authorization-code flow). Kantata's tokens do not expire and it has no client-credentials grant.
 */
export interface KantataCredentials {
  readonly accessToken: string;
}

/**
 * Kantata refused the token even after the secret was read again: it was revoked (or the application
 * deleted), and no grant can mint a new one. A person must issue a token and update the secret.
 */
export class KantataTokenRevokedError extends SyncError {
  override readonly name = 'KantataTokenRevoked';
  constructor(
    readonly call: VendorCall,
    options?: ErrorOptions,
  ) {
    super(`${call.vendor} (${call.instance}) refused the bearer token for ${call.operation} after the secret was read again; it was revoked`, options);
  }
}

/** Options of {@link KantataPsa}. */
export interface KantataOptions {
  readonly instance: string;
  /** How long one API call may take before the adapter gives up and the state machine retries. @default 60_000 */
  readonly requestTimeoutMs?: number;
  /** @default https://api.mavenlink.com */
  readonly baseUrl?: string;
  readonly credentials: () => Promise<KantataCredentials>;
  /** The secret read again past any cache, after a 401: picks up a token rotated in Secrets Manager. */
  readonly refreshCredentials: () => Promise<KantataCredentials>;
  /**
   * Kantata's `payment_schedule` on an invoice we create: days until it is due (30 is Net 30). The
   * ERP's invoice is the one the customer pays; this only mirrors it. @default 30
   */
  readonly paymentScheduleDays?: number;
  readonly audit: AuditTrail;
  readonly execution: string;
  readonly correlationId: string;
  /**
   * Where the shell's progress is kept, so a retry resumes without looking for what it knows exists.
   * @default NO_JOURNAL: every piece is looked for in Kantata before it is made
   */
  readonly journal?: WriteJournal;
}

/** Our name in Kantata's external references, so our records can be found again. */
const SERVICE_NAME = 'ps-sync';

/** Kantata's response envelope: `results` gives order, the type key holds the objects by id. */
interface Envelope {
  readonly results?: readonly { key: string; id: string }[];
  readonly [key: string]: unknown;
}

/** The objects under one top-level key of an envelope, in `results` order when given, else as listed. */
function sideLoaded(envelope: Envelope, key: string, order?: readonly { key: string; id: string }[]): (Record<string, unknown> & { id: string })[] {
  const byId = (envelope[key] ?? {}) as Record<string, Record<string, unknown>>;
  const ids = order ? order.filter((r) => r.key === key).map((r) => r.id) : Object.keys(byId);
  return ids.flatMap((id) => (byId[id] ? [{ ...byId[id], id: String(id) }] : []));
}

/** Our nested `external_reference`: written in the same request as the record it names. */
function ourReference(model: string, ref: string) {
  return { service_name: SERVICE_NAME, service_model: model, service_model_ref: ref };
}

/** The reference of a task or milestone of a project: the project's global id, the story type and its name in the contract. */
function storyReference(projectRef: string, type: 'task' | 'milestone', name: string): string {
  return `${projectRef}/${type}/${name}`;
}

/** A budget in whole units of its currency, Kantata's `price`, rounded half to even as every amount we round. */
function wholeUnits(money: Money): number {
  return new Decimal(money.amountMinor)
    .dividedBy(new Decimal(10).pow(CURRENCY_EXPONENTS[money.currency]))
    .toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN)
    .toNumber();
}

/** A Kantata time entry as listed. */
interface KantataTimeEntry {
  readonly id: string;
  readonly workspace_id: string;
  readonly user_id?: string;
  readonly role_id?: string;
  readonly date_performed: string;
  readonly time_in_minutes: number;
  readonly billable?: boolean;
  readonly updated_at: string;
}

/** A Kantata expense as listed. */
interface KantataExpense {
  readonly id: string;
  readonly workspace_id: string;
  readonly user_id?: string;
  readonly date: string;
  readonly category: string;
  readonly amount_in_cents: number;
  readonly currency: string;
  readonly billable?: boolean;
  readonly updated_at: string;
}

/** A rate card ready to write: Kantata versions and the Kantata id of each role named. */
interface PreparedRateCard {
  readonly versions: readonly RateCardVersionPlan[];
  readonly roleIds: ReadonlyMap<string, string>;
}

/**
 * The PSA port on Kantata OX (REST v1). Kantata's POST has no idempotency key, so this adapter
 * attaches our global id as an external reference to every project it creates and can find it again
 * by that reference; the workflow reserves the create in the registry before calling it. Tasks,
 * milestones and the rate card are filled in by looking first, so a recovered project is completed
 * rather than duplicated. Rate cards need an account user with Kantata's Administrator access. Throttling is
 * a 429 without Retry-After: the state machine's backoff with jitter owns the retry.
 */
export class KantataPsa implements PsaPort, PsaBillingPort, PsaInvoiceReadPort {
  constructor(private readonly options: KantataOptions) {}

  async findProjectByExternalReference(externalReference: string): Promise<{ id: string } | undefined> {
    const [reference] = await this.references('Workspace', externalReference);
    return reference ? { id: reference.subjectId } : undefined;
  }

  async checkProject(project: PsaProjectDraft): Promise<void> {
    await this.prepareRateCard(project);
  }

  /**
   * One POST makes the workspace and its external reference together (Kantata's nested
   * `external_reference`), so a workspace that exists can always be found again: there is no moment
   * between the create and the reference for a failure to fall into.
   */
  async createProject(project: PsaProjectDraft): Promise<{ id: string }> {
    const budget = project.budget;
    const workspace = await this.write('POST', 'workspaces', 'workspace', project.externalReference, {
      title: project.name,
      description: `${project.customerName}: ${project.billingModel}`,
      currency: project.currency,
      // The integration user joins on the provider's side; Kantata asks every create for a role.
      creator_role: 'maven',
      ...(project.startDate ? { start_date: project.startDate } : {}),
      ...(project.endDate ? { due_date: project.endDate } : {}),
      // Kantata's `price` is the budget in whole units of the currency (`price_in_cents` is read-only).
      ...(budget ? { budgeted: true, price: wholeUnits(budget) } : {}),
      external_reference: ourReference('project', project.externalReference),
    });
    // Nothing hangs under a workspace made just now: its plan and rate card begin from nothing and need look for nothing.
    for (const part of ['story/fresh', 'rate-card/fresh']) await this.journal().done(this.scope(project), part, workspace.id);
    return { id: workspace.id };
  }

  /** A PUT of the workspace's budget (`price`, whole units) and currency: the same PUT again changes nothing. */
  async updateProject(projectId: string, changes: { readonly budget?: Money; readonly currency?: string }): Promise<void> {
    await this.write('PUT', `workspaces/${projectId}`, 'workspace', projectId, {
      ...(changes.budget ? { budgeted: true, price: wholeUnits(changes.budget) } : {}),
      ...(changes.currency ? { currency: changes.currency } : {}),
    });
  }

  /**
   * The tasks and milestones the workspace lacks, each written with its own reference
   * (`<project>/task/<name>`) and journalled, so a retry resumes at the first one not known to exist;
   * one it sent without an answer is looked for by its reference, which survives a rename in Kantata.
   * Returns each milestone's story id by name: billing knows milestones by their PSA id.
   */
  async ensurePlan(projectId: string, project: PsaProjectDraft): Promise<{ milestoneIds: Readonly<Record<string, string>> }> {
    const progress = await JournalProgress.load(this.journal(), this.scope(project), 'story');
    let listed: Promise<(Record<string, unknown> & { id: string; title?: string; story_type?: string; references: string[] })[]> | undefined;
    const find = (type: 'task' | 'milestone', name: string) => async () => {
      listed ??= this.listReferenced<{ title?: string; story_type?: string }>('stories', { workspace_id: projectId });
      const stories = await listed;
      const ref = storyReference(project.externalReference, type, name);
      // A story made before stories carried references is known by its type and title.
      return (
        stories.find((st) => st.references.includes(ref)) ?? stories.find((st) => st.references.length === 0 && st.story_type === type && st.title === name)
      )?.id;
    };
    const story = (type: 'task' | 'milestone', name: string, attributes: Record<string, unknown>) =>
      progress.once(
        `story/${type}/${name}`,
        find(type, name),
        async () =>
          (
            await this.write('POST', 'stories', 'story', project.externalReference, {
              workspace_id: projectId,
              title: name,
              story_type: type,
              ...attributes,
              external_reference: ourReference(type, storyReference(project.externalReference, type, name)),
            })
          ).id,
      );
    for (const task of project.tasks) await story('task', task.name, { billable: task.billable });
    const milestoneIds: Record<string, string> = {};
    for (const milestone of project.milestones)
      milestoneIds[milestone.name] = await story('milestone', milestone.name, milestone.dueDate ? { due_date: milestone.dueDate } : {});
    return { milestoneIds };
  }

  /** The contract's rate card cut into Kantata versions, with each role's Kantata id; undefined when the contract has none. */
  private async prepareRateCard(project: PsaProjectDraft, progress?: JournalProgress): Promise<PreparedRateCard | undefined> {
    if (project.rateCard.length === 0) return undefined;
    const currency = CurrencyCode.safeParse(project.currency);
    if (!currency.success) throw new RateCardNotRepresentableError(`Kantata rate cards need an ISO currency; the project has "${project.currency}"`);
    const versions = planKantataRateCard(project.rateCard, currency.data);
    const listRoles = async () => JSON.stringify((await this.list<{ name?: string }>('roles', {})).map((role) => [role.name ?? '', role.id]));
    // The account's role ids, read once per project and kept in the journal: a retry need not read them again.
    const listed = progress ? await progress.once('rate-card/roles', async () => undefined, listRoles) : await listRoles();
    let roles = new Map(JSON.parse(listed) as [string, string][]);
    const missing = () => [...new Set(project.rateCard.map((line) => line.role))].filter((role) => !roles.has(role));
    // A role someone added in Kantata since the list was kept: read it again before refusing.
    if (progress && missing().length) roles = new Map(JSON.parse(await progress.record('rate-card/roles', await listRoles())) as [string, string][]);
    const unknown = missing();
    if (unknown.length)
      throw new RateCardNotRepresentableError(
        `Kantata has no role named ${unknown.map((r) => `"${r}"`).join(', ')}; add it in Kantata or correct the contract's rate card`,
      );
    return { versions, roleIds: roles };
  }

  /**
   * Gives the workspace the contract's rate card: a Rate Card Set (its title ends in the project's
   * global id), a Set Version per effective date, a Rate Card in the project's currency (with our
   * reference) and a Rate Card Role per role and version; then points the workspace at the card. Each
   * write is journalled, so a retry resumes at the first one not known to be done, and one sent without
   * an answer is looked for in Kantata before it is made again. A workspace that has its card is left alone.
   */
  async ensureRateCard(projectId: string, project: PsaProjectDraft): Promise<{ rateCardId: string | undefined }> {
    const progress = await JournalProgress.load(this.journal(), this.scope(project), 'rate-card');
    const attached = progress.value('rate-card/attached');
    if (attached !== undefined) return { rateCardId: attached };
    if (progress.blank) {
      // No journal: the workspace may have its card from before, or from a person.
      const [workspace] = await this.list<{ rate_card_id?: string | null }>('workspaces', { only: projectId });
      if (workspace?.rate_card_id) return { rateCardId: String(workspace.rate_card_id) };
    }
    const plan = await this.prepareRateCard(project, progress);
    if (plan === undefined) return { rateCardId: undefined };
    const ref = project.externalReference;
    const title = `${project.name} contract rates ${ref}`;
    const made = async (path: string, key: string, attributes: Record<string, unknown>) => (await this.write('POST', path, key, ref, attributes)).id;
    const setId = await progress.once(
      'rate-card/set',
      // Ours whatever the project was called when it was made: the title ends in the global id (an earlier adapter put it in parentheses).
      async () => (await this.list<{ title?: string }>('rate_card_sets', { matching: ref })).find((set) => set.title?.includes(ref))?.id,
      () => made('rate_card_sets', 'rate_card_set', { title }),
    );
    let setVersions: Promise<Map<string | undefined, string>> | undefined;
    const setVersionIds = new Map<string, string>();
    let cardId = progress.value('rate-card/card');
    for (const version of plan.versions) {
      const date = version.effectiveDate;
      const setVersionId = await progress.once(
        `rate-card/set-version/${date}`,
        async () => {
          setVersions ??= this.list<{ effective_date?: string }>('rate_card_set_versions', { rate_card_set_id: setId }).then(
            (versions) => new Map(versions.map((v) => [v.effective_date, v.id])),
          );
          return (await setVersions).get(date);
        },
        () => made('rate_card_set_versions', 'rate_card_set_version', { rate_card_set_id: setId, effective_date: date }),
      );
      setVersionIds.set(date, setVersionId);
      // The card is made on the first set version; Kantata gives it a version there and in every later set version.
      cardId ??= await progress.once(
        'rate-card/card',
        async () => (await this.list('rate_cards', { rate_card_set_id: setId, currencies: project.currency }))[0]?.id,
        () =>
          made('rate_cards', 'rate_card', {
            rate_card_set_id: setId,
            rate_card_set_version_id: setVersionId,
            currency: project.currency,
            external_reference: ourReference('rate-card', ref),
          }),
      );
    }
    if (cardId === undefined) return { rateCardId: undefined };
    const card = cardId;
    // The card's version in each set version, read once every set version exists, and kept; read again
    // when a set version is missing from what was kept (a later revision added an effective date).
    const listCardVersions = async () =>
      JSON.stringify(
        Object.fromEntries(
          (await this.list<{ rate_card_set_version_id?: string }>('rate_card_versions', { rate_card_id: card })).map((v) => [
            String(v.rate_card_set_version_id),
            v.id,
          ]),
        ),
      );
    let cardVersions = new Map<string, string>(
      Object.entries(JSON.parse(await progress.once('rate-card/card-versions', async () => undefined, listCardVersions)) as Record<string, string>),
    );
    if ([...setVersionIds.values()].some((id) => !cardVersions.has(id)))
      cardVersions = new Map(Object.entries(JSON.parse(await progress.record('rate-card/card-versions', await listCardVersions())) as Record<string, string>));
    for (const version of plan.versions) {
      const rateCardVersionId = cardVersions.get(setVersionIds.get(version.effectiveDate)!);
      if (!rateCardVersionId)
        throw new VendorUnavailableError(this.call('list rate card versions'), `no rate card version for ${version.effectiveDate} on rate card ${card}`);
      let priced: Promise<Map<string, string>> | undefined;
      for (const [role, rate] of version.ratesInMinorUnits) {
        const roleId = plan.roleIds.get(role)!;
        await progress.once(
          `rate-card/rate/${version.effectiveDate}/${role}`,
          async () => {
            priced ??= this.list<{ role_id?: string }>('rate_card_roles', { rate_card_version_id: rateCardVersionId }).then(
              (rates) => new Map(rates.map((r) => [String(r.role_id), r.id])),
            );
            return (await priced).get(roleId);
          },
          () => made('rate_card_roles', 'rate_card_role', { rate_card_version_id: rateCardVersionId, role_id: roleId, rate }),
        );
      }
    }
    await this.write('PUT', `workspaces/${projectId}`, 'workspace', ref, { rate_card_id: card });
    await progress.record('rate-card/attached', card);
    return { rateCardId: card };
  }

  /** The journal scope of a project's shell. */
  private scope(project: PsaProjectDraft): string {
    return `${this.options.instance}#${project.externalReference}`;
  }

  private journal(): WriteJournal {
    return this.options.journal ?? NO_JOURNAL;
  }

  async approvedWorkSince(updatedAfter: string): Promise<PolledWork[]> {
    const roles = new Map((await this.list<{ name?: string }>('roles', {})).map((role) => [role.id, role.name ?? '']));
    const filters = { approved: 'true', updated_after: updatedAfter };
    const time = await this.list<KantataTimeEntry>('time_entries', filters);
    const expenses = await this.list<KantataExpense>('expenses', filters);
    return [
      ...time.map(
        (t): PolledWork => ({
          work: {
            kind: 'time',
            item: {
              id: t.id,
              workDate: t.date_performed,
              role: roles.get(String(t.role_id)) ?? `role ${String(t.role_id)}`,
              // Minutes to hours: 12 decimal places, far below a cent on any line (`toMinorUnits` rounds lines once).
              hours: new Decimal(t.time_in_minutes).dividedBy(60).toDecimalPlaces(12).toFixed(),
              billable: t.billable !== false,
            },
          },
          projectId: String(t.workspace_id),
          updatedAt: t.updated_at,
          resourceId: String(t.user_id ?? 'unknown'),
        }),
      ),
      ...expenses.map(
        (e): PolledWork => ({
          work: {
            kind: 'expense',
            item: {
              id: e.id,
              incurredOn: e.date,
              category: e.category,
              amount: { amountMinor: e.amount_in_cents, currency: e.currency as Money['currency'] },
              billable: e.billable !== false,
            },
          },
          projectId: String(e.workspace_id),
          updatedAt: e.updated_at,
          resourceId: String(e.user_id ?? 'unknown'),
        }),
      ),
    ];
  }

  async completedMilestonesSince(updatedAfter: string): Promise<CompletedMilestone[]> {
    const stories = await this.list<{ workspace_id: string; updated_at: string; completed_at?: string | null }>('stories', {
      story_type: 'milestone',
      state: 'completed',
      updated_after: updatedAfter,
    });
    return stories.map((st) => ({
      projectId: String(st.workspace_id),
      milestoneId: st.id,
      completedOn: (st.completed_at ?? st.updated_at).slice(0, 10),
      updatedAt: st.updated_at,
    }));
  }

  async recordPaymentStatus(externalId: string, payment: { state: 'partially-paid' | 'paid'; amountDue: Money }): Promise<void> {
    const [reference] = await this.references('Invoice', externalId);
    if (!reference)
      throw new VendorRejectedError(
        this.call('find invoice by external reference'),
        404,
        'invoice_not_found',
        `no Kantata invoice carries the reference ${externalId}`,
      );
    await this.write('PUT', `invoices/${reference.subjectId}`, 'invoice', externalId, {
      payment_status: payment.state === 'paid' ? 'paid' : 'partially paid',
      balance_in_cents: payment.amountDue.amountMinor,
    });
  }

  /**
   * The invoice and its reference are one POST, so a retry finds an invoice an earlier attempt made.
   * Kantata numbers its invoices itself (`user_invoice_number` is an integer), so the ERP's number
   * (`INV000007`) is the invoice's `user_invoice_title`; an invoice found with that title is left alone.
   */
  async recordInvoice(projectId: string, invoice: PsaInvoice): Promise<{ id: string }> {
    const [reference] = await this.references('Invoice', invoice.externalId);
    const fields = {
      user_invoice_title: invoice.invoiceNumber,
      invoice_date: invoice.postingDate,
      tax_in_cents: invoice.tax.amountMinor,
      total_in_cents: invoice.total.amountMinor,
      currency: invoice.total.currency,
      payment_status: 'unpaid',
    };
    if (reference) {
      const [found] = await this.list<{ user_invoice_title?: string | null }>('invoices', { only: reference.subjectId });
      if (found?.user_invoice_title !== invoice.invoiceNumber)
        await this.write('PUT', `invoices/${reference.subjectId}`, 'invoice', invoice.externalId, fields);
      return { id: reference.subjectId };
    }
    const created = await this.write('POST', 'invoices', 'invoice', invoice.externalId, {
      workspace_id: projectId,
      time_entry_ids: invoice.timeEntryIds,
      expense_ids: invoice.expenseIds,
      // Kantata requires the days until due on every create.
      payment_schedule: this.options.paymentScheduleDays ?? 30,
      ...fields,
      external_reference: ourReference('invoice', invoice.externalId),
    });
    return { id: created.id };
  }

  /**
   * Our invoices of the projects dated in the range: `GET invoices.json?workspace_id=<id>&include=external_references`
   * per project (Kantata filters invoices by workspace), the date range applied here on `invoice_date`. An
   * invoice without our reference is not ours to reconcile.
   */
  async invoicesOf(projectIds: readonly string[], from: string, to: string): Promise<PsaInvoiceOfPeriod[]> {
    const found: PsaInvoiceOfPeriod[] = [];
    for (const projectId of [...new Set(projectIds)]) {
      const invoices = await this.listReferenced<{
        workspace_id?: string;
        invoice_date?: string | null;
        user_invoice_title?: string | null;
        total_in_cents?: number | null;
        currency?: string | null;
      }>('invoices', { workspace_id: projectId });
      for (const i of invoices) {
        const date = i.invoice_date?.slice(0, 10);
        const [externalId] = i.references;
        if (externalId === undefined || date === undefined || date < from || date > to) continue;
        const currency = CurrencyCode.safeParse(i.currency);
        found.push({
          id: i.id,
          projectId: String(i.workspace_id ?? projectId),
          externalId,
          date,
          ...(i.user_invoice_title ? { invoiceNumber: i.user_invoice_title } : {}),
          ...(typeof i.total_in_cents === 'number' && currency.success ? { total: { amountMinor: i.total_in_cents, currency: currency.data } } : {}),
        });
      }
    }
    return found;
  }

  /** Our references to one record of ours (`service_model_ref`), newest first as Kantata lists them. */
  private async references(subjectType: 'Workspace' | 'Invoice', serviceModelRef: string): Promise<{ subjectId: string }[]> {
    const found = await this.list<{ subject_id?: string; subject_type?: string; service_model_ref?: string }>('external_references', {
      subject_type: subjectType,
      service_name: SERVICE_NAME,
      service_model_ref: serviceModelRef,
    });
    return found
      .filter((r) => r.service_model_ref === serviceModelRef && String(r.subject_type).toLowerCase() === subjectType.toLowerCase() && r.subject_id)
      .map((r) => ({ subjectId: String(r.subject_id) }));
  }

  /** A collection listed with `include=external_references`: each object with the `service_model_ref`s of our references to it. */
  private async listReferenced<T>(collection: string, filters: Record<string, string>): Promise<(T & { id: string; references: string[] })[]> {
    const references = new Map<string, { service_name?: string; service_model_ref?: string }>();
    const objects = await this.list<T & { external_reference_ids?: string[] }>(collection, { ...filters, include: 'external_references' }, (envelope) => {
      for (const r of sideLoaded(envelope, 'external_references')) references.set(r.id, r as { service_name?: string; service_model_ref?: string });
    });
    return objects.map((o) => ({
      ...o,
      references: (o.external_reference_ids ?? []).flatMap((id) => {
        const r = references.get(String(id));
        return r?.service_name === SERVICE_NAME && r.service_model_ref ? [r.service_model_ref] : [];
      }),
    }));
  }

  /** Every object of a collection matching the filters, following Kantata's pages. */
  private async list<T>(collection: string, filters: Record<string, string>, onPage?: (envelope: Envelope) => void): Promise<(T & { id: string })[]> {
    const call = this.call(`list ${collection}`);
    const objects: (T & { id: string })[] = [];
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({ ...filters, per_page: '200', page: String(page) });
      const response = await this.send(call, 'GET', `/api/v1/${collection}.json?${query.toString()}`);
      if (response.status !== 200) throw this.errorFor(call, response);
      const envelope = response.json<Envelope>() ?? {};
      onPage?.(envelope);
      objects.push(...sideLoaded(envelope, collection, envelope.results).map((o) => o as T & { id: string }));
      const meta = envelope.meta as { page_count?: number } | undefined;
      if (page >= (meta?.page_count ?? 1)) return objects;
    }
  }

  /** One audited write; returns the id of the object written and the response envelope. */
  private async write(
    method: 'POST' | 'PUT',
    path: string,
    key: string,
    recordKey: string,
    attributes: Record<string, unknown>,
  ): Promise<{ id: string; envelope: Envelope }> {
    const call = this.call(`${method === 'POST' ? 'create' : 'update'} ${key}`);
    const body = { [key]: attributes };
    const response = await this.send(call, method, `/api/v1/${path}.json`, body);
    const ok = response.status === 200 || response.status === 201;
    await this.options.audit.record({
      vendor: 'kantata',
      instance: this.options.instance,
      recordType: key,
      recordKey,
      operation: method === 'POST' ? 'create' : 'update',
      execution: this.options.execution,
      correlationId: this.options.correlationId,
      payload: body,
      result: ok ? 'ok' : response.status === 422 || response.status === 400 ? 'rejected' : 'failed',
      status: String(response.status),
      at: new Date(),
    });
    if (!ok) throw this.errorFor(call, response);
    const envelope = response.json<Envelope>() ?? {};
    const id = envelope.results?.[0]?.id;
    if (!id) throw new VendorUnavailableError(call, `HTTP ${response.status} without a result`);
    return { id: String(id), envelope };
  }

  private call(operation: string): VendorCall {
    return { vendor: 'kantata', instance: this.options.instance, operation };
  }

  /**
   * One request with the secret's bearer token. Kantata's tokens do not expire, so a 401 means the token
   * was revoked: the secret is read again past the cache (a rotated token) and the request sent once
   * more; a second 401 is {@link KantataTokenRevokedError}, for a person.
   */
  private async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    const attempt = (credentials: KantataCredentials) =>
      vendorRequest(call, `${this.baseUrl()}${path}`, {
        method,
        headers: { authorization: `Bearer ${credentials.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // Kantata times requests out after three minutes; we give up sooner and let the state machine retry.
        timeoutMs: this.options.requestTimeoutMs ?? 60_000,
      });
    return sendWithOneRefresh(call, { current: this.options.credentials, refreshed: this.options.refreshCredentials }, attempt, {
      refused: (c) => new KantataTokenRevokedError(c),
    });
  }

  private baseUrl(): string {
    return this.options.baseUrl ?? 'https://api.mavenlink.com';
  }

  /** Kantata errors are `{ errors: [{ type, message }] }`; the type, never the message, decides. */
  private errorFor(call: VendorCall, response: VendorResponse): Error {
    // Kantata sends no Retry-After with its 429.
    if (response.status === 429) return new VendorThrottledError(call);
    if (response.status >= 500) return new VendorUnavailableError(call, `HTTP ${response.status}`);
    const errors = response.json<{ errors?: { type?: string; message?: string }[] }>()?.errors ?? [];
    return new VendorRejectedError(
      call,
      response.status,
      errors[0]?.type ?? `HTTP_${response.status}`,
      errors
        .map((e) => e.message)
        .filter(Boolean)
        .join('; ') || 'no detail',
    );
  }
}
