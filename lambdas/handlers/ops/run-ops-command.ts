import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiHandler } from '../../common/api-handler';
import { logger } from '../../common/runtime';
import { runOpsCommand } from '../../ops/ops-commands';
import { container } from '../../wiring/container';
import { opsDependencies } from '../../wiring/operations';

const c = container('RunOpsCommand');
const deps = opsDependencies(c);

/** The ops API (IAM-authorized): the exception inbox and its actions. */
export const handler = apiHandler(async (request: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const answer = await runOpsCommand(request, deps);
  logger.info('ops command answered', {
    route: `${request.httpMethod} ${request.resource}`,
    statusCode: answer.statusCode,
    correlationId: request.requestContext.requestId,
  });
  return answer;
});
