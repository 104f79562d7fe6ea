import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logInvocationEvent } from './runtime';

/** What answers one API Gateway request (proxy integration). */
export type RequestHandler = (request: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The handler every API function exports (webhooks, the ops API): the request is logged first when the
 * function's environment asks for it (`POWERTOOLS_LOGGER_LOG_EVENT`, runtime.ts), through the masking
 * logger like every line: the body, JSON in a string, is masked inside, and credentials in headers or
 * body (`authorization`, a notification's `clientState`) are masked as secrets (log-masking.ts).
 */
export function apiHandler(handle: RequestHandler): RequestHandler {
  return async (request, context) => {
    logInvocationEvent(request);
    return handle(request, context);
  };
}
