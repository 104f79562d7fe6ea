import { documents } from '../shared/clients/dynamodb';
import { sqs } from '../shared/clients/sqs';
import { DurableExceptionRecorder } from '../shared/exceptions';
import type { Container } from './container';

/** The exception store and its announcement queue (the function must declare both). */
export function exceptionRecorder(c: Container): DurableExceptionRecorder {
  return new DurableExceptionRecorder(documents(), c.env.tableName('exceptions'), sqs(), c.env.exceptionQueueUrl());
}
