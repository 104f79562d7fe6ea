import { ownerTeam } from '../../canonical/operations';
import { Workflow } from '../../canonical/workflows';
import { documents } from '../common/clients/dynamodb';
import { sqs } from '../common/clients/sqs';
import { DurableExceptionRecorder } from '../common/exceptions';
import { ExceptionInbox } from '../ops/exception-inbox';
import type { Container } from './container';

/** The exception store and its announcement queue (the function must declare both). */
export function exceptionRecorder(c: Container): DurableExceptionRecorder {
  return new DurableExceptionRecorder(documents(), c.env.tableName('exceptions'), sqs(), c.env.exceptionQueueUrl(), (workflow, legalEntityId) =>
    ownerTeam(c.config, Workflow.parse(workflow), legalEntityId),
  );
}

/**
 * The exception inbox (the function must declare the exceptions table with its indexes). Here, beside
 * the recorder, so a function that only reads the inbox loads no Step Functions client.
 */
export function exceptionInbox(c: Container): ExceptionInbox {
  return new ExceptionInbox(documents(), c.env.tableName('exceptions'), Workflow.options);
}
