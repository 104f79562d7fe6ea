import Decimal from 'decimal.js';
import { CurrencyCode, type Money } from '../../canonical';
import type { AuditTrail } from '../common/audit-trail';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../common/errors';
import { ClientCredentialsToken, sendWithOneRefresh } from '../common/http/credential-refresh';
import { type VendorResponse, vendorRequest } from '../common/http/vendor-http';
import type { CompletedMilestone, PolledWork, PsaBillingPort, PsaInvoice, PsaPort, PsaProjectDraft } from '../ports/psa';
import { planKantataRateCard, RateCardNotRepresentableError, type RateCardVersionPlan } from './rate-card-plan';

/** Kantata OAuth 2.0 client credentials, as stored in the instance's secret. */
export interface KantataCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Options of {@link KantataPsa}. */
export interface KantataOptions {
  readonly instance: string;
  /** @default https://api.mavenlink.com */
  readonly baseUrl?: string;
  readonly credentials: () => Promise<KantataCredentials>;
  readonly refreshCredentials: () => Promise<KantataCredentials>;
  readonly audit: AuditTrail;
  readonly execution: string;
  readonly correlationId: string;
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
export class KantataPsa implements PsaPort, PsaBillingPort {
  private readonly token = new ClientCredentialsToken((call, response) => this.errorFor(call, response));

  constructor(private readonly options: KantataOptions) {}

  async findProjectByExternalReference(externalReference: string): Promise<{ id: string } | undefined> {
    const call: VendorCall = { vendor: 'kantata', instance: this.options.instance, operation: 'find workspace by external reference' };
    const query = new URLSearchParams({ subject_type: 'workspace', service_name: SERVICE_NAME, service_model_ref: externalReference });
    const response = await this.send(call, 'GET', `/api/v1/external_references.json?${query.toString()}`);
    if (response.status !== 200) throw this.errorFor(call, response);
    const envelope = response.json<Envelope>() ?? {};
    const references = (envelope.external_references ?? {}) as Record<string, { subject_id?: string; subject_type?: string; service_model_ref?: string }>;
    const match = (envelope.results ?? [])
      .map((r) => references[r.id])
      .find((r) => r?.service_model_ref === externalReference && (r.subject_type ?? 'workspace').toLowerCase() === 'workspace');
    return match?.subject_id ? { id: String(match.subject_id) } : undefined;
  }

  async createProject(project: PsaProjectDraft): Promise<{ id: string; milestoneIds: Readonly<Record<string, string>> }> {
    // Everything that could refuse the rate card is checked before the first write.
    const rateCard = await this.prepareRateCard(project);
    const workspace = await this.write('POST', 'workspaces', 'workspace', project.externalReference, {
      title: project.name,
      description: `${project.customerName}: ${project.billingModel}`,
      currency: project.currency,
      ...(project.startDate ? { start_date: project.startDate } : {}),
      ...(project.endDate ? { due_date: project.endDate } : {}),
      ...(project.budget ? { budgeted: true, price_in_cents: project.budget.amountMinor } : {}),
    });
    // The reference first: from here on a crash is recoverable by findProjectByExternalReference.
    await this.write('POST', 'external_references', 'external_reference', project.externalReference, {
      subject_type: 'workspace',
      subject_id: workspace.id,
      service_name: SERVICE_NAME,
      service_model: 'project',
      service_model_ref: project.externalReference,
    });
    const milestoneIds = await this.fillInShell(workspace.id, project, rateCard);
    return { id: workspace.id, milestoneIds };
  }

  async completeProject(projectId: string, project: PsaProjectDraft): Promise<{ milestoneIds: Readonly<Record<string, string>> }> {
    return { milestoneIds: await this.fillInShell(projectId, project, await this.prepareRateCard(project)) };
  }

  /**
   * Tasks, milestones and rate card: whatever of them the workspace lacks, so a re-run after a crash
   * completes it. Returns each milestone's story id by name: billing knows milestones by their PSA id.
   */
  private async fillInShell(workspaceId: string, project: PsaProjectDraft, rateCard: PreparedRateCard | undefined): Promise<Record<string, string>> {
    const stories = await this.list<{ title?: string; story_type?: string }>('stories', { workspace_id: workspaceId });
    const existing = new Set(stories.map((st) => `${st.story_type}:${st.title}`));
    const milestoneIds: Record<string, string> = Object.fromEntries(stories.filter((st) => st.story_type === 'milestone').map((st) => [st.title ?? '', st.id]));
    for (const task of project.tasks) {
      if (existing.has(`task:${task.name}`)) continue;
      await this.write('POST', 'stories', 'story', project.externalReference, {
        workspace_id: workspaceId,
        title: task.name,
        story_type: 'task',
        billable: task.billable,
      });
    }
    for (const milestone of project.milestones) {
      if (existing.has(`milestone:${milestone.name}`)) continue;
      const story = await this.write('POST', 'stories', 'story', project.externalReference, {
        workspace_id: workspaceId,
        title: milestone.name,
        story_type: 'milestone',
        ...(milestone.dueDate ? { due_date: milestone.dueDate } : {}),
      });
      milestoneIds[milestone.name] = story.id;
    }
    if (rateCard) await this.applyRateCard(workspaceId, project, rateCard);
    return milestoneIds;
  }

  /** The contract's rate card cut into Kantata versions, with each role's Kantata id; undefined when the contract has none. */
  private async prepareRateCard(project: PsaProjectDraft): Promise<PreparedRateCard | undefined> {
    if (project.rateCard.length === 0) return undefined;
    const currency = CurrencyCode.safeParse(project.currency);
    if (!currency.success) throw new RateCardNotRepresentableError(`Kantata rate cards need an ISO currency; the project has "${project.currency}"`);
    const versions = planKantataRateCard(project.rateCard, currency.data);
    const roles = new Map((await this.list<{ name?: string }>('roles', {})).map((role) => [role.name ?? '', role.id]));
    const unknown = [...new Set(project.rateCard.map((line) => line.role))].filter((role) => !roles.has(role));
    if (unknown.length)
      throw new RateCardNotRepresentableError(
        `Kantata has no role named ${unknown.map((r) => `"${r}"`).join(', ')}; add it in Kantata or correct the contract's rate card`,
      );
    return { versions, roleIds: roles };
  }

  /**
   * Builds a Rate Card Set for the contract (a version per effective date, a rate card in the project's
   * currency, a Rate Card Role per role and version) and points the workspace at it. Pointing the
   * workspace is the commit: a workspace that has its rate card is skipped, and a crash before it leaves
   * an unattached set (its title names the project's global id) that the re-run does not reuse.
   */
  private async applyRateCard(workspaceId: string, project: PsaProjectDraft, rateCard: PreparedRateCard): Promise<void> {
    const [workspace] = await this.list<{ rate_card_id?: string | null }>('workspaces', { only: workspaceId });
    if (workspace?.rate_card_id) return;
    const ref = project.externalReference;
    const set = await this.write('POST', 'rate_card_sets', 'rate_card_set', ref, { title: `${project.name} contract rates (${ref})` });
    let rateCardId: string | undefined;
    for (const version of rateCard.versions) {
      const setVersion = await this.write(
        'POST',
        'rate_card_set_versions',
        'rate_card_set_version',
        ref,
        { rate_card_set_id: set.id, effective_date: version.effectiveDate },
        'rate_card_versions',
      );
      let rateCardVersionId: string | undefined;
      if (rateCardId === undefined) {
        // The first set version gets the rate card; Kantata gives it a version there and in every later set version.
        const card = await this.write(
          'POST',
          'rate_cards',
          'rate_card',
          ref,
          { rate_card_set_version_id: setVersion.id, currency: project.currency },
          'rate_card_versions',
        );
        rateCardId = card.id;
        rateCardVersionId = sideLoaded(card.envelope, 'rate_card_versions').find((v) => String(v.rate_card_id) === card.id)?.id;
      } else {
        rateCardVersionId = sideLoaded(setVersion.envelope, 'rate_card_versions').find((v) => String(v.rate_card_id) === rateCardId)?.id;
      }
      if (!rateCardVersionId)
        throw new VendorUnavailableError(this.call('create rate card version'), `no rate card version for ${version.effectiveDate} in the response`);
      for (const [role, rate] of version.ratesInMinorUnits) {
        await this.write('POST', 'rate_card_roles', 'rate_card_role', ref, {
          rate_card_version_id: rateCardVersionId,
          role_id: rateCard.roleIds.get(role),
          rate,
        });
      }
    }
    await this.write('PUT', `workspaces/${workspaceId}`, 'workspace', ref, { rate_card_id: rateCardId });
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
    const call = this.call('find invoice by external reference');
    const query = new URLSearchParams({ subject_type: 'invoice', service_name: SERVICE_NAME, service_model_ref: externalId });
    const response = await this.send(call, 'GET', `/api/v1/external_references.json?${query.toString()}`);
    if (response.status !== 200) throw this.errorFor(call, response);
    const [reference] = sideLoaded(response.json<Envelope>() ?? {}, 'external_references', response.json<Envelope>()?.results);
    if (!reference?.subject_id) throw new VendorRejectedError(call, 404, 'invoice_not_found', `no Kantata invoice carries the reference ${externalId}`);
    await this.write('PUT', `invoices/${String(reference.subject_id)}`, 'invoice', externalId, {
      payment_status: payment.state === 'paid' ? 'paid' : 'partially paid',
      balance_in_cents: payment.amountDue.amountMinor,
    });
  }

  async recordInvoice(projectId: string, invoice: PsaInvoice): Promise<{ id: string }> {
    const call = this.call('find invoice by external reference');
    const query = new URLSearchParams({ subject_type: 'invoice', service_name: SERVICE_NAME, service_model_ref: invoice.externalId });
    const response = await this.send(call, 'GET', `/api/v1/external_references.json?${query.toString()}`);
    if (response.status !== 200) throw this.errorFor(call, response);
    const [reference] = sideLoaded(response.json<Envelope>() ?? {}, 'external_references', response.json<Envelope>()?.results);
    const fields = {
      user_invoice_number: invoice.invoiceNumber,
      invoice_date: invoice.postingDate,
      tax_in_cents: invoice.tax.amountMinor,
      total_in_cents: invoice.total.amountMinor,
      currency: invoice.total.currency,
      payment_status: 'unpaid',
    };
    if (reference?.subject_id) {
      await this.write('PUT', `invoices/${String(reference.subject_id)}`, 'invoice', invoice.externalId, fields);
      return { id: String(reference.subject_id) };
    }
    // Kantata refuses to invoice work twice: work already on an invoice of ours (a retry after a crash
    // between the POST and its reference) names that invoice.
    const first = invoice.timeEntryIds[0] ?? invoice.expenseIds[0];
    const collection = invoice.timeEntryIds.length ? 'time_entries' : 'expenses';
    const [already] = first === undefined ? [] : await this.list<{ invoice_id?: string | null }>(collection, { only: first });
    let id: string;
    if (already?.invoice_id) {
      const [existing] = await this.list<{ user_invoice_number?: string | null }>('invoices', { only: String(already.invoice_id) });
      if (existing?.user_invoice_number && existing.user_invoice_number !== invoice.invoiceNumber) {
        throw new VendorRejectedError(
          this.call('create invoice'),
          422,
          'already_invoiced',
          `the work is already on Kantata invoice ${String(already.invoice_id)} (${existing.user_invoice_number}), not made by this integration`,
        );
      }
      id = String(already.invoice_id);
      await this.write('PUT', `invoices/${id}`, 'invoice', invoice.externalId, fields);
    } else {
      id = (
        await this.write('POST', 'invoices', 'invoice', invoice.externalId, {
          workspace_id: projectId,
          time_entry_ids: invoice.timeEntryIds,
          expense_ids: invoice.expenseIds,
          ...fields,
        })
      ).id;
    }
    await this.write('POST', 'external_references', 'external_reference', invoice.externalId, {
      subject_type: 'invoice',
      subject_id: id,
      service_name: SERVICE_NAME,
      service_model: 'invoice',
      service_model_ref: invoice.externalId,
    });
    return { id };
  }

  /** Every object of a collection matching the filters, following Kantata's pages. */
  private async list<T>(collection: string, filters: Record<string, string>): Promise<(T & { id: string })[]> {
    const call = this.call(`list ${collection}`);
    const objects: (T & { id: string })[] = [];
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({ ...filters, per_page: '200', page: String(page) });
      const response = await this.send(call, 'GET', `/api/v1/${collection}.json?${query.toString()}`);
      if (response.status !== 200) throw this.errorFor(call, response);
      const envelope = response.json<Envelope>() ?? {};
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
    include?: string,
  ): Promise<{ id: string; envelope: Envelope }> {
    const call = this.call(`${method === 'POST' ? 'create' : 'update'} ${key}`);
    const body = { [key]: attributes };
    const response = await this.send(call, method, `/api/v1/${path}.json${include ? `?include=${include}` : ''}`, body);
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

  private async send(call: VendorCall, method: string, path: string, body?: unknown): Promise<VendorResponse> {
    return sendWithOneRefresh(
      call,
      { current: this.options.credentials, refreshed: this.options.refreshCredentials },
      async (credentials) =>
        vendorRequest(call, `${this.baseUrl()}${path}`, {
          method,
          headers: { authorization: `Bearer ${await this.bearer(credentials, call)}`, 'content-type': 'application/json', accept: 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // Kantata times requests out after three minutes; we give up sooner and let the state machine retry.
          timeoutMs: 60_000,
        }),
      () => this.token.invalidate(),
    );
  }

  private baseUrl(): string {
    return this.options.baseUrl ?? 'https://api.mavenlink.com';
  }

  private bearer(credentials: KantataCredentials, call: VendorCall): Promise<string> {
    return this.token.bearer(call, {
      url: `${this.baseUrl()}/oauth/token`,
      headers: {},
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret }).toString(),
    });
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
