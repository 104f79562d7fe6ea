import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Properties of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** Workflow state machines, by workflow id. */
  readonly stateMachines: ReadonlyMap<string, sfn.IStateMachine>;
  /** Dead-letter queues, by the name of the queue they serve. */
  readonly deadLetterQueues: ReadonlyMap<string, sqs.IQueue>;
  /** Functions, by declaration id. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  /** The exception announcements queue: one message per new exception. */
  readonly exceptionQueue: sqs.IQueue;
  readonly api: apigateway.RestApi;
  /**
   * The namespace of the deployment's own metrics (`<name>-<stage>`), for the money-at-risk widgets
   * (`PublishOperationsMetrics`); without it they are left out.
   */
  readonly metricsNamespace?: string;
}

/**
 * The region's dashboard for ops: workflow outcomes, what waits in DLQs, new business exceptions,
 * function errors and throttles, and how the webhook API answers. One per regional stack.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const functions = [...props.functions.entries()];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    if (props.metricsNamespace !== undefined) {
      // Money at risk first: what is open, what it holds up and how long it has waited, by workflow and legal
      // entity (every five minutes); then what billing holds and did (valued daily by the reconciliation,
      // counted as each invoice posts), per day.
      const graph = (title: string, metric: string, dimensions: string, statistic: 'Maximum' | 'Sum', every: Duration) =>
        new cloudwatch.GraphWidget({
          title,
          left: [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${props.metricsNamespace},${dimensions}} MetricName="${metric}"', '${statistic}', ${every.toSeconds()})`,
              label: '',
              period: every,
            }),
          ],
          width: 8,
        });
      const day = Duration.days(1);
      this.dashboard.addWidgets(
        graph(
          'Money at stake in open exceptions (by workflow, legal entity, currency)',
          'MoneyAtStake',
          'currency,legalEntity,service,workflow',
          'Maximum',
          period,
        ),
        graph(
          'Open exceptions (by workflow and legal entity; npm run ops -- exceptions list)',
          'OpenExceptions',
          'legalEntity,service,workflow',
          'Maximum',
          period,
        ),
        graph('Oldest open exception, minutes (by workflow; the business-impact alarms)', 'OldestOpenExceptionMinutes', 'service,workflow', 'Maximum', period),
      );
      this.dashboard.addWidgets(
        graph(
          'Approved work not yet invoiced (by legal entity and currency; valued daily by the reconciliation)',
          'ApprovedUnbilledValue',
          'currency,legalEntity,service',
          'Maximum',
          day,
        ),
        graph('Invoices posted per day (by legal entity)', 'InvoicesPosted', 'legalEntity,service', 'Sum', day),
        graph('Invoiced value before tax per day (by legal entity and currency)', 'InvoicedValue', 'currency,legalEntity,service', 'Sum', day),
      );
    }
    this.dashboard.addWidgets(
      ...[...props.stateMachines.entries()].map(
        ([name, machine]) =>
          new cloudwatch.GraphWidget({
            title: `${name}: executions`,
            left: [
              machine.metricStarted({ period }),
              machine.metricSucceeded({ period }),
              machine.metricFailed({ period }),
              machine.metricTimedOut({ period }),
              machine.metricAborted({ period }),
            ],
            width: 12,
          }),
      ),
      new cloudwatch.GraphWidget({
        title: 'Messages waiting in dead-letter queues (redrive from the SQS console)',
        left: [...props.deadLetterQueues.entries()].map(([name, dlq]) =>
          dlq.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: name }),
        ),
        width: 12,
      }),
      // Sent, not age: nothing in the stack receives announcements, so their age says nothing.
      new cloudwatch.SingleValueWidget({
        title: 'New business exceptions in the time range (read the exceptions table)',
        metrics: [props.exceptionQueue.metricNumberOfMessagesSent({ period, statistic: 'Sum' })],
        setPeriodToTimeRange: true,
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook API: requests, 4xx, 5xx',
        left: [props.api.metricCount({ period }), props.api.metricClientError({ period }), props.api.metricServerError({ period })],
        right: [props.api.metricLatency({ period, statistic: 'p99' })],
        width: 18,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors (a step retried by its state machine counts too)',
        left: functions.map(([name, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: functions.map(([name, fn]) => fn.metricThrottles({ period, statistic: 'Sum', label: name })),
        width: 12,
      }),
    );
  }
}
