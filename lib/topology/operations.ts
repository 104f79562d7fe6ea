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
      description: "Runs an operator's command from the IAM-authorized ops API (the exception inbox, the DLQs) and writes its actions to the audit trail",
      timeoutSeconds: 29,
      uses: [
        { kind: 'table', table: 'exceptions', access: 'readWrite', indexes: true },
        { kind: 'table', table: 'audit', access: 'append' },
        { kind: 'workflowExecutions', stateMachines: ['OpportunityToProject', 'TimeToInvoice'], access: 'redrive' },
        // `dlq list|peek|redrive`: every work queue's DLQ of the region, and sending to its source queue.
        { kind: 'deadLetterQueues' },
      ],
    },
    {
      id: 'RecordFailedExecution',
      entry: 'lambdas/handlers/ops/record-failed-execution.ts',
      description: 'Records an execution that failed at a task (retries spent, or a defect) as an exception to retry from the inbox',
      timeoutSeconds: 30,
      uses: [
        { kind: 'table', table: 'exceptions', access: 'readWrite' },
        { kind: 'exceptionQueue' },
        { kind: 'workflowExecutions', stateMachines: ['OpportunityToProject', 'TimeToInvoice'], access: 'describe' },
      ],
    },
    {
      id: 'PublishOperationsMetrics',
      entry: 'lambdas/handlers/ops/publish-operations-metrics.ts',
      description: 'Publishes the money at risk: open exceptions and their money at stake per workflow and legal entity, the oldest per workflow',
      timeoutSeconds: 60,
      uses: [{ kind: 'table', table: 'exceptions', access: 'read', indexes: true }],
    },
  ],
  queues: [
    {
      id: 'FailedExecutions',
      description: "Step Functions' status changes of executions that failed, timed out or were aborted",
      consumer: 'RecordFailedExecution',
      batchSize: 10,
    },
    {
      id: 'OperationsMetricsRequests',
      description: 'Ticks of the money-at-risk metrics schedule',
      consumer: 'PublishOperationsMetrics',
      batchSize: 1,
      maxConcurrency: 2,
    },
  ],
  routes: [
    { api: 'operations', method: 'GET', path: 'ops/exceptions', function: 'RunOpsCommand' },
    { api: 'operations', method: 'GET', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}/resolve', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}/ignore', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/exceptions/{workflow}/{entityType}/{entityId}/retry', function: 'RunOpsCommand' },
    // {queue} is a work queue's declaration id (`HubspotDealEvents`): its DLQ is listed, peeked at, redriven.
    { api: 'operations', method: 'GET', path: 'ops/dlqs', function: 'RunOpsCommand' },
    { api: 'operations', method: 'GET', path: 'ops/dlqs/{queue}/messages', function: 'RunOpsCommand' },
    { api: 'operations', method: 'POST', path: 'ops/dlqs/{queue}/redrive', function: 'RunOpsCommand' },
  ],
  rules: [
    {
      id: 'ExecutionFailures',
      description: 'Executions of any state machine that failed, timed out or were aborted; the consumer keeps those of this stack',
      bus: 'default',
      eventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targetQueue: 'FailedExecutions',
    },
  ],
  schedules: [
    {
      id: 'OperationsMetricsSchedule',
      description: 'Every 5 minutes: the money-at-risk metrics the dashboard shows and the business-impact alarms watch',
      expression: 'rate(5 minutes)',
      targetQueue: 'OperationsMetricsRequests',
      maxEventAgeHours: 1,
    },
  ],
  stateMachines: [],
};
