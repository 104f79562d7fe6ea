import type { PsaPort, PsaProjectDraft } from '../opportunity-to-project/ports';
import type { AuditTrail } from '../shared/audit-trail';
import { ClientCredentialsToken, sendWithOneRefresh } from '../shared/http/credential-refresh';
import { vendorRequest, type VendorResponse } from '../shared/http/vendor-http';
import { type VendorCall, VendorRejectedError, VendorThrottledError, VendorUnavailableError } from '../shared/vendor-errors';

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

/**
 * The PSA port on Kantata OX (REST v1). Kantata's POST has no idempotency key, so this adapter
 * attaches our global id as an external reference to every project it creates and can find it again
 * by that reference; the workflow reserves the create in the registry before calling it. Throttling is
 * a 429 without Retry-After: the state machine's backoff with jitter owns the retry.
 */
export class KantataPsa implements PsaPort {
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

  async createProject(project: PsaProjectDraft): Promise<{ id: string }> {
    const workspaceId = await this.create('workspaces', 'workspace', project.externalReference, {
      title: project.name,
      description: `${project.customerName}: ${project.billingModel}`,
      currency: project.currency,
      ...(project.startDate ? { start_date: project.startDate } : {}),
      ...(project.endDate ? { due_date: project.endDate } : {}),
      ...(project.budget ? { budgeted: true, price_in_cents: project.budget.amountMinor } : {}),
    });
    // The reference first: from here on a crash is recoverable by findProjectByExternalReference.
    await this.create('external_references', 'external_reference', project.externalReference, {
      subject_type: 'workspace',
      subject_id: workspaceId,
      service_name: SERVICE_NAME,
      service_model: 'project',
      service_model_ref: project.externalReference,
    });
    for (const task of project.tasks) {
      await this.create('stories', 'story', project.externalReference, { workspace_id: workspaceId, title: task.name, story_type: 'task', billable: task.billable });
    }
    for (const milestone of project.milestones) {
      await this.create('stories', 'story', project.externalReference, {
        workspace_id: workspaceId,
        title: milestone.name,
        story_type: 'milestone',
        ...(milestone.dueDate ? { due_date: milestone.dueDate } : {}),
      });
    }
    return { id: workspaceId };
  }

  private async create(collection: string, key: string, recordKey: string, attributes: Record<string, unknown>): Promise<string> {
    const call: VendorCall = { vendor: 'kantata', instance: this.options.instance, operation: `create ${key}` };
    const body = { [key]: attributes };
    const response = await this.send(call, 'POST', `/api/v1/${collection}.json`, body);
    const ok = response.status === 200 || response.status === 201;
    await this.options.audit.record({
      vendor: 'kantata',
      instance: this.options.instance,
      recordType: key,
      recordKey,
      operation: 'create',
      execution: this.options.execution,
      correlationId: this.options.correlationId,
      payload: body,
      result: ok ? 'ok' : response.status === 422 || response.status === 400 ? 'rejected' : 'failed',
      status: String(response.status),
      at: new Date(),
    });
    if (!ok) throw this.errorFor(call, response);
    const id = response.json<Envelope>()?.results?.find((r) => r.key === collection)?.id;
    if (!id) throw new VendorUnavailableError(call, `HTTP ${response.status} without a ${collection} result`);
    return String(id);
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
    return new VendorRejectedError(call, response.status, errors[0]?.type ?? `HTTP_${response.status}`, errors.map((e) => e.message).filter(Boolean).join('; ') || 'no detail');
  }
}
