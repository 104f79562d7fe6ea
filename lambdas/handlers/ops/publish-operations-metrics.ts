import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type Money, majorUnits } from '../../../canonical/primitives';
import { Workflow } from '../../../canonical/workflows';
import { metrics } from '../../common/runtime';
import { sqsConsumer } from '../../common/sqs-consumer';
import { moneyAtRisk } from '../../ops/money-at-risk';
import { container } from '../../wiring/container';
import { exceptionInbox } from '../../wiring/exceptions';

const c = container('PublishOperationsMetrics');
const inbox = exceptionInbox(c);

/**
 * Every tick: open exceptions and their money at stake per workflow and legal entity (per currency), and
 * the age of each workflow's oldest open exception, which the business-impact alarms watch.
 */
export const handler = sqsConsumer(async (_record, _context, log) => {
  const figures = moneyAtRisk(await inbox.list(), Workflow.options, c.clock());
  for (const group of figures.groups) {
    const open = metrics.singleMetric();
    open.addDimensions({ workflow: group.workflow, legalEntity: group.legalEntityId });
    open.addMetric('OpenExceptions', MetricUnit.Count, group.open);
    for (const [currency, amountMinor] of Object.entries(group.moneyAtStake)) {
      const stake = metrics.singleMetric();
      stake.addDimensions({ workflow: group.workflow, legalEntity: group.legalEntityId, currency });
      stake.addMetric('MoneyAtStake', MetricUnit.NoUnit, majorUnits({ amountMinor, currency } as Money).toNumber());
    }
  }
  for (const [workflow, minutes] of Object.entries(figures.oldestOpenMinutes)) {
    const oldest = metrics.singleMetric();
    oldest.addDimension('workflow', workflow);
    oldest.addMetric('OldestOpenExceptionMinutes', MetricUnit.Count, minutes);
  }
  log.info('Money at risk published', { groups: figures.groups.length, oldestOpenMinutes: figures.oldestOpenMinutes });
});
