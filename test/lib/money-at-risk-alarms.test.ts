import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { exampleConfigInput } from '../support/example-config';
import { synthesizeDeployment } from '../support/synth';

// Alarms by business impact: one per workflow on the age of its oldest open exception, at the threshold
// the deployment sets or the product's default for what the workflow holds up.
const config = parseDeploymentConfig({ ...exampleConfigInput(), operations: { alarms: { oldestOpenExceptionMinutes: { 'invoice-payment-status': 720 } } } });
const { templates } = synthesizeDeployment(config);

describe('money-at-risk alarms', () => {
  const template = templates.get('us-east-1')!;
  const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'OldestOpenExceptionMinutes' } });
  const threshold = (workflow: string) =>
    Object.values(alarms).find((a) => (a.Properties.Dimensions as { Name: string; Value: string }[]).some((d) => d.Name === 'workflow' && d.Value === workflow))
      ?.Properties.Threshold;

  it('page sooner for a project not made than for a late payment status, as configured', () => {
    expect(threshold('opportunity-to-project')).toBe(60);
    expect(threshold('time-to-invoice')).toBe(240);
    expect(threshold('invoice-payment-status')).toBe(720);
  });

  it("watch the metric the ops function publishes, in the deployment's namespace, and notify the alarm topic", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OldestOpenExceptionMinutes',
      Namespace: `${config.name}-${config.stage}`,
      Dimensions: Match.arrayWith([{ Name: 'service', Value: 'ops' }]),
      Statistic: 'Maximum',
      AlarmActions: Match.anyValue(),
    });
    expect(Object.keys(alarms)).toHaveLength(4); // opportunity to project, time to invoice, payment status, reconciliation
  });

  it('show on the dashboard the approved work not yet invoiced, and the invoices posted and their value per day, by legal entity', () => {
    const parts = (Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ][1];
    const body = parts.filter((p): p is string => typeof p === 'string').join('');
    const ns = `${config.name}-${config.stage}`;
    const search = (metric: string, dimensions: string, statistic: string) =>
      `SEARCH('{${ns},${dimensions}} MetricName=\\"${metric}\\"', '${statistic}', 86400)`;
    expect(body).toContain(search('ApprovedUnbilledValue', 'currency,legalEntity,service', 'Maximum'));
    expect(body).toContain(search('InvoicesPosted', 'legalEntity,service', 'Sum'));
    expect(body).toContain(search('InvoicedValue', 'currency,legalEntity,service', 'Sum'));
  });
});
