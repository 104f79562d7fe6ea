import type { PollDependencies } from '../common/polling/poll-and-publish';
import { canonicalPublisher } from './bus';
import type { Container } from './container';
import { pollCheckpoints } from './tables';

/** What `pollAndPublish` needs: the checkpoint store, the bus and the clock. */
export function pollDependencies(c: Container): PollDependencies {
  return { checkpoints: pollCheckpoints(c), publish: canonicalPublisher(c), now: c.clock };
}
