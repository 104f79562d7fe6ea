import { SyncError } from '../common/errors';
/** A record whose fields cannot be what Certinia sends: refused loudly, never billed as a guess. */
export class UnreadableCertiniaRecordError extends SyncError {
  override readonly name = 'UnreadableCertiniaRecord';
}
