import { Workflow } from '../../canonical/workflows';
import { documents } from '../common/clients/dynamodb';
import { ExceptionInbox } from '../ops/exception-inbox';
import type { OpsDependencies } from '../ops/ops-commands';
import type { Container } from './container';
import { auditTrail } from './tables';

/** What the ops API's commands run on (the function must declare the exceptions and audit tables). */
export function opsDependencies(c: Container): OpsDependencies {
  return { inbox: new ExceptionInbox(documents(), c.env.tableName('exceptions'), Workflow.options), audit: auditTrail(c), now: c.clock };
}
