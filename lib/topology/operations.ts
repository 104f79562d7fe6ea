import type { WorkflowDeclaration } from './declarations';

/**
 * The ops API (docs/operations.md): what `npm run ops` calls, locally and in AWS. Its routes sit on a
 * REST API of their own that answers only SigV4-signed requests of IAM principals allowed
 * `execute-api:Invoke`, never on the public webhook API. One function serves every command, with the
 * grants of the commands it runs and no vendor secrets.
 */
export const operations: WorkflowDeclaration = {
  workflow: 'ops',
  functions: [
    {
      id: 'RunOpsCommand',
      entry: 'lambdas/handlers/ops/run-ops-command.ts',
      description: "Runs an operator's command from the IAM-authorized ops API (the exception inbox) and writes it to the audit trail",
      timeoutSeconds: 29,
      uses: [
        { kind: 'table', table: 'exceptions', access: 'readWrite', indexes: true },
        { kind: 'table', table: 'audit', access: 'append' },
      ],
    },
  ],
  queues: [],
  routes: [
    { api: 'operations', method: 'GET', path: 'ops/exceptions', function: 'RunOpsCommand' },
    { api: 'operations', method: 'GET', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}/resolve', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}/ignore', function: 'RunOpsCommand' },
  ],
  rules: [],
  stateMachines: [],
};
