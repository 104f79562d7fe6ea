import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { WorkflowDeclaration } from './topology/declarations';

/**
 * The alarms of executions, functions and the webhook API (ADR 0017): CDK's own metrics, each alarm
 * on a count above zero, notifying the region's alarm topic. Missing data means nothing ran, which is
 * not a failure. Each description says what happened and names the runbook section to start from.
 */

const PERIOD = Duration.minutes(5);
const RUNBOOK = 'docs/operations.md';

/** Properties of {@link alarmOnCount}. */
export interface CountAlarmProps {
  readonly topic: sns.ITopic;
  readonly description: string;
  /** Consecutive five-minute periods that must each count at least one. @default 1 */
  readonly periods?: number;
}

/** An alarm when `metric` (summed per five minutes) is above zero in each of `periods` periods in a row. */
export function alarmOnCount(scope: Construct, id: string, metric: cloudwatch.Metric, props: CountAlarmProps): cloudwatch.Alarm {
  const periods = props.periods ?? 1;
  const alarm = metric.with({ period: PERIOD, statistic: cloudwatch.Stats.SUM }).createAlarm(scope, id, {
    alarmDescription: props.description,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: periods,
    datapointsToAlarm: periods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
  return alarm;
}

/**
 * `<id>FailedAlarm`, `<id>TimedOutAlarm` and `<id>AbortedAlarm`: any execution that ended so in five
 * minutes. A failure has a recorded exception; a timed-out or aborted execution has none, because the
 * state machine's Catch cannot run once the execution itself is stopped.
 */
export function alarmOnExecutions(scope: Construct, id: string, machine: sfn.IStateMachine, timeout: Duration, topic: sns.ITopic): void {
  alarmOnCount(scope, `${id}FailedAlarm`, machine.metricFailed(), {
    topic,
    description:
      `${id} executions failed: each failure is also a recorded exception with its reason, owner and remediation. ` +
      `List them with npm run ops -- --region <region> exceptions list; one stopped at a task resumes with exceptions retry. Runbook: ${RUNBOOK}, "alarm: ${id}FailedAlarm".`,
  });
  alarmOnCount(scope, `${id}TimedOutAlarm`, machine.metricTimedOut(), {
    topic,
    description:
      `${id} executions ran past the state machine's ${timeout.toHumanString()} timeout and were stopped mid-way; each is recorded as an exception to retry. ` +
      `List them with npm run ops -- --region <region> exceptions list, then exceptions retry once the cause is gone. Runbook: ${RUNBOOK}, "alarm: <StateMachine>TimedOutAlarm".`,
  });
  alarmOnCount(scope, `${id}AbortedAlarm`, machine.metricAborted(), {
    topic,
    description:
      `${id} executions were stopped (StopExecution) before they finished, with no exception recorded. ` +
      `CloudTrail's StopExecution events say who; if it was not meant, start them again. Runbook: ${RUNBOOK}, "alarm: <StateMachine>AbortedAlarm".`,
  });
}

/** What invokes a function, for its alarm descriptions: what an error means depends on it. */
export function invokerOf(declaration: WorkflowDeclaration, functionId: string): string {
  const machines = declaration.stateMachines.filter((s) => Object.values(s.tasks).includes(functionId)).map((s) => s.id);
  if (machines.length > 0) return `a step of ${machines.join(', ')}`;
  const queues = declaration.queues.filter((q) => q.consumer === functionId).map((q) => q.id);
  if (queues.length > 0) return `the consumer of ${queues.join(', ')}`;
  const routes = declaration.routes.filter((r) => r.function === functionId).map((r) => `${r.method} /${r.path}`);
  if (routes.length > 0) return `the webhook ${routes.join(', ')}`;
  return 'invoked by nothing in its workflow';
}

/**
 * `<id>ErrorsAlarm` (throttles: {@link alarmOnAccountThrottles}). A single error is usually a retry under way: steps throw
 * VendorThrottled, VendorUnavailable and CreateInProgress on purpose for the state machine to retry,
 * and a consumer errors whenever every record of its batch failed (Powertools' FullBatchFailureError),
 * often a batch of one. Where that ends has its own alarm (execution failed, DLQ, API 5xx). So errors
 * alarm when they last 15 minutes, three five-minute periods in a row: steady failure, not one retry
 * sequence backing off.
 * Nothing here reserves concurrency, so any throttle means the account's concurrency ran out.
 */
export function alarmOnFunction(scope: Construct, id: string, fn: lambda.IFunction, invoker: string, topic: sns.ITopic): void {
  alarmOnCount(scope, `${id}ErrorsAlarm`, fn.metricErrors(), {
    topic,
    periods: 3,
    description:
      `${id} (${invoker}) has returned errors in each of the last three five-minute periods: a crash, a timeout, a missing permission or setting, or a vendor failing for that long. ` +
      `Read its log group for the errorType (consumers log "Record failed" per record). Runbook: ${RUNBOOK}, "alarm: <Function>ErrorsAlarm".`,
  });
}

/**
 * `LambdaThrottlesAlarm`: any Lambda invocation in the account and region was throttled in five minutes.
 * No function here reserves concurrency, so they all draw on the account's regional pool: one alarm on
 * the pool says what a per-function alarm would, at one resource instead of one per function (a regional
 * stack stays within CloudFormation's 500 resources).
 */
export function alarmOnAccountThrottles(scope: Construct, topic: sns.ITopic): cloudwatch.Alarm {
  return alarmOnCount(scope, 'LambdaThrottlesAlarm', new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles' }), {
    topic,
    description:
      "Lambda invocations in this account and region were throttled: the account's regional concurrency, which every function of this stack shares (none reserves any), ran out. " +
      `State machines retry, SQS redelivers and vendors retry webhooks, but work is delayed. Runbook: ${RUNBOOK}, "alarm: LambdaThrottlesAlarm".`,
  });
}

/** `ServerErrorsAlarm`: the webhook API answered any 5xx in five minutes. */
export function alarmOnServerErrors(scope: Construct, api: apigateway.RestApi, topic: sns.ITopic, description?: string): cloudwatch.Alarm {
  return alarmOnCount(scope, 'ServerErrorsAlarm', api.metricServerError(), {
    topic,
    description:
      description ??
      'The webhook API answered 5xx: a handler could not store the events (503), threw or timed out (502, 504), or API Gateway failed. ' +
        `HubSpot and Business Central retry a 5xx, so nothing is lost yet. Read the access logs (status, requestId), then the route's function logs. Runbook: ${RUNBOOK}, "alarm: WebhookApiServerErrorsAlarm".`,
  });
}
