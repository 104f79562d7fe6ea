import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../canonical/deployment-config';
import { oldestOpenAlarmMinutes } from '../canonical/operations';
import type { Workflow } from '../canonical/workflows';

/** Properties of {@link MoneyAtRiskAlarms}. */
export interface MoneyAtRiskAlarmsProps {
  readonly config: DeploymentConfig;
  /** The workflows that run in the region (their exceptions are counted by `PublishOperationsMetrics`). */
  readonly workflows: readonly Workflow[];
  readonly topic: sns.ITopic;
}

/**
 * `<Workflow>OldestOpenExceptionAlarm`: an exception of the workflow has been open longer than the
 * deployment tolerates for it (`operations.alarms.oldestOpenExceptionMinutes`), from the metric that
 * `PublishOperationsMetrics` puts every five minutes. Business impact decides the threshold, so a
 * project not made before kickoff pages sooner than a late payment status.
 */
export class MoneyAtRiskAlarms extends Construct {
  /** The alarms by workflow. */
  public readonly alarms = new Map<Workflow, cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: MoneyAtRiskAlarmsProps) {
    super(scope, id);
    for (const workflow of props.workflows) {
      const minutes = oldestOpenAlarmMinutes(props.config, workflow);
      const name = workflow
        .split('-')
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join('');
      const alarm = new cloudwatch.Metric({
        namespace: `${props.config.name}-${props.config.stage}`,
        metricName: 'OldestOpenExceptionMinutes',
        // Powertools adds the function's service (its declaration's workflow: `ops`) to every metric.
        dimensionsMap: { service: 'ops', workflow },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }).createAlarm(this, `${name}OldestOpenExceptionAlarm`, {
        alarmDescription:
          `An exception of ${workflow} has been open more than ${minutes} minutes (operations.alarms.oldestOpenExceptionMinutes). ` +
          `List it with npm run ops -- --region <region> exceptions list --workflow ${workflow}: its owner, money at stake and remediation. ` +
          'Runbook: docs/operations.md, "alarm: <Workflow>OldestOpenExceptionAlarm".',
        threshold: minutes,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data means the metrics function did not run; its own Errors alarm says so.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
      this.alarms.set(workflow, alarm);
    }
  }
}
