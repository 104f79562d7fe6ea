import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuditTrail } from '../common/audit-trail';
import { type HttpAnswer, problemAnswer } from '../common/http/problem';
import { type DeadLetterQueuePort, deadLetterQueueCommand } from './dead-letter-queues';
import type { ExceptionInbox } from './exception-inbox';
import { type ExecutionControl, retryExecution } from './execution-retry';

/** What the ops commands run on. */
export interface OpsDependencies {
  readonly inbox: Pick<ExceptionInbox, 'list' | 'show' | 'close' | 'markRetrying'>;
  readonly audit: AuditTrail;
  readonly now: () => Date;
  /** The workflows' state machine ARNs by id, and the calls a retry makes on their executions. */
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly executions: ExecutionControl;
  /** The region's work queue DLQs (the `dlq` commands, dead-letter-queues.ts). */
  readonly deadLetterQueues: DeadLetterQueuePort;
}

const MAX_NOTE = 500;

function ok(body: unknown, correlationId: string): HttpAnswer {
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId }, body: JSON.stringify(body) };
}

/**
 * One request of the ops API: `GET /ops/exceptions` (the inbox), `GET /ops/exceptions/<ref>` (one
 * exception and its history), `POST .../resolve` and `.../ignore` (with a note; ignoring needs one).
 * API Gateway has already checked the caller's SigV4 signature and IAM permission; the caller's ARN is
 * who the audit trail and the exception's history name.
 */
export async function runOpsCommand(request: APIGatewayProxyEvent, deps: OpsDependencies): Promise<HttpAnswer> {
  const correlationId = request.requestContext.requestId;
  const caller = request.requestContext.identity.userArn ?? request.requestContext.identity.caller;
  // Only an IAM-authorized request carries a caller: without one the API is misconfigured, so refuse.
  if (!caller) return problemAnswer(403, 'Forbidden', 'The ops API answers only SigV4-signed requests of IAM principals.', correlationId);
  const route = `${request.httpMethod} ${request.resource}`;
  const params = request.pathParameters ?? {};
  const key =
    params.workflow && params.entityType && params.entityId
      ? { workflow: params.workflow, entityType: params.entityType, entityId: params.entityId }
      : undefined;
  const ref = key ? `${key.workflow}/${key.entityType}/${key.entityId}` : undefined;

  if (route === 'GET /ops/exceptions') {
    const q = request.queryStringParameters ?? {};
    const entries = await deps.inbox.list({
      ...(q.workflow ? { workflow: q.workflow } : {}),
      ...(q.legalEntity ? { legalEntityId: q.legalEntity } : {}),
      ...(q.owner ? { ownerTeam: q.owner } : {}),
    });
    return ok({ exceptions: entries }, correlationId);
  }
  if (route === 'GET /ops/exceptions/{workflow}/{entityType}/{entityId}' && key) {
    const shown = await deps.inbox.show(key);
    if (!shown.open && shown.history.length === 0) return problemAnswer(404, 'Not Found', `No exception ${ref}.`, correlationId);
    return ok(shown, correlationId);
  }
  if (route === 'POST /ops/exceptions/{workflow}/{entityType}/{entityId}/retry' && key) {
    const at = deps.now();
    const { open } = await deps.inbox.show(key);
    const outcome = open
      ? await retryExecution(open, deps.stateMachines, deps.executions)
      : ({ retried: false, status: 409, reason: `${ref} has no open exception to retry.` } as const);
    if (outcome.retried && open)
      await deps.inbox.markRetrying(key, { by: caller, at, how: outcome.how, execution: outcome.execution, attempt: outcome.attempt });
    await deps.audit.record({
      vendor: 'operations',
      instance: 'ops-api',
      recordType: 'exception',
      recordKey: ref!,
      operation: 'retry',
      execution: caller,
      correlationId,
      payload: outcome,
      result: outcome.retried ? 'ok' : 'rejected',
      status: outcome.retried ? '200' : String(outcome.status),
      at,
    });
    if (!outcome.retried) return problemAnswer(outcome.status, outcome.status === 404 ? 'Not Found' : 'Conflict', outcome.reason, correlationId);
    // What markRetrying wrote, without reading the item back.
    const exception = {
      ...open!,
      state: 'retrying',
      opsAttempts: outcome.attempt,
      lastRetry: { how: outcome.how, execution: outcome.execution, by: caller, at: at.toISOString() },
    };
    return ok({ retry: outcome, exception }, correlationId);
  }
  const action = /^POST \/ops\/exceptions\/\{workflow\}\/\{entityType\}\/\{entityId\}\/(resolve|ignore)$/.exec(route)?.[1] as 'resolve' | 'ignore' | undefined;
  if (action && key) {
    let note: string | undefined;
    try {
      const body = request.body ? (JSON.parse(request.body) as { note?: unknown }) : {};
      if (body.note !== undefined && typeof body.note !== 'string') throw new Error('note');
      note = body.note?.trim() || undefined;
    } catch {
      return problemAnswer(400, 'Bad Request', 'The body, when sent, is JSON: { "note": "<why>" }.', correlationId);
    }
    if (note !== undefined && note.length > MAX_NOTE)
      return problemAnswer(400, 'Bad Request', `The note is longer than ${MAX_NOTE} characters.`, correlationId);
    if (action === 'ignore' && note === undefined) return problemAnswer(400, 'Bad Request', 'Ignoring an exception needs a note saying why.', correlationId);
    const at = deps.now();
    const state = action === 'resolve' ? 'resolved' : 'ignored';
    const result = await deps.inbox.close(key, { state, by: caller, at, ...(note ? { note } : {}) });
    // Every action is audited, refused ones too: who tried what on which exception.
    await deps.audit.record({
      vendor: 'operations',
      instance: 'ops-api',
      recordType: 'exception',
      recordKey: ref!,
      operation: action,
      execution: caller,
      correlationId,
      payload: { note: note ?? null },
      result: result.closed ? 'ok' : 'rejected',
      status: result.closed ? '200' : '409',
      at,
    });
    if (!result.closed)
      return problemAnswer(
        409,
        'Conflict',
        `${ref} has no open exception (already closed, or a new failure refreshed it just now): show it and try again.`,
        correlationId,
      );
    return ok({ exception: result.entry }, correlationId);
  }
  const dlqAnswer = await deadLetterQueueCommand(request, caller, deps);
  if (dlqAnswer) return dlqAnswer;
  return problemAnswer(404, 'Not Found', `No ops command ${route}.`, correlationId);
}
