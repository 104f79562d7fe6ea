import type { EntityType } from '../../../canonical/entity-types';
import type { SystemRef } from '../../../canonical/systems';
import { SyncError } from '../errors';

/**
 * The cross-reference registry: which id each system instance uses for a record we know by its
 * global id, and the last version of it we applied from each source. A port: domain code depends on
 * this interface; `DynamoDbCrossReferenceRegistry` is the adapter, `InMemoryRegistry` the test fake.
 */

/** A native record: its id in one system instance. */
export interface NativeRecord {
  readonly entityType: EntityType;
  readonly system: SystemRef;
  readonly nativeId: string;
}

/** A request to claim a native record for a global id. */
export interface ClaimRequest extends NativeRecord {
  readonly globalId: string;
}

/** A request to reserve "global id X will be created in system T" before the vendor call. */
export interface ReserveCreateRequest {
  readonly entityType: EntityType;
  readonly globalId: string;
  readonly target: SystemRef;
  /** The execution making the vendor call, kept on the reservation for whoever finds it pending. */
  readonly executionId: string;
}

/** A request to record the native id a reserved create produced. */
export interface CompleteCreateRequest {
  readonly entityType: EntityType;
  readonly globalId: string;
  readonly target: SystemRef;
  readonly nativeId: string;
}

/** A request to record the version of a record last applied from a source. */
export interface RecordVersionRequest {
  readonly globalId: string;
  readonly source: SystemRef;
  /** A source version: a non-negative integer as decimal digits (see `canonical/source-version`). */
  readonly version: string;
  /**
   * What the version counts, when a source has more than one counter for the record: the default is
   * the source's own change order (commit numbers, modification times); `revision` is the deal's sync
   * revision, which guards the updates of opportunity to project.
   */
  readonly counter?: 'revision';
}

/** A request to merge one global id into another. */
export interface MergeRequest {
  /** The global id that remains. */
  readonly survivor: string;
  /** The global id merged away; its system ids stay reachable from the survivor. */
  readonly merged: string;
}

/** A link from a global id to one system instance, possibly still being created there. */
export interface SystemLink {
  /** The global id the link was recorded under: the survivor's own or one merged into it. */
  readonly globalId: string;
  readonly entityType: EntityType;
  readonly system: SystemRef;
  readonly state: 'pending' | 'completed';
  /** Present once the record exists in the system. */
  readonly nativeId?: string;
  /** The execution that reserved the create; absent when the link came from a claim. */
  readonly executionId?: string;
  /** When the create was reserved (ISO); absent when the link came from a claim. */
  readonly reservedAt?: string;
}

/**
 * Result of claiming a native record. `globalId` is the record's current global id (the winner's,
 * following merges): the one to use from now on.
 */
export type ClaimResult = { readonly outcome: 'claimed'; readonly globalId: string } | { readonly outcome: 'already-claimed'; readonly globalId: string };

/** Result of reserving a create: new, or the earlier reservation with its state and native id. */
export type ReserveResult = { readonly outcome: 'reserved' } | { readonly outcome: 'existing'; readonly link: SystemLink };

/**
 * Taking a pending reservation over: from the execution that holds it, as the taker read it (a reservation
 * written before executions were recorded on it has neither field), to the taker.
 */
export interface TakeOverRequest extends ReserveCreateRequest {
  readonly from: { readonly executionId?: string | undefined; readonly reservedAt?: string | undefined };
}

/** Result of recording a version: applied, or stale with the version already stored. */
export type VersionResult = { readonly outcome: 'applied' } | { readonly outcome: 'stale'; readonly storedVersion: string };

/** The registry port. */
export interface CrossReferenceRegistry {
  /**
   * Claims a native record for a global id. Of concurrent claimers exactly one wins; the others learn
   * the winner. The winner claiming again (a retry) is `claimed` again.
   * @throws CrossReferenceConflictError when the global id already has another record in that system
   *   (a duplicate in the vendor); the claim stays, so the duplicate still resolves to the global id.
   */
  claimNativeRecord(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Reserves "global id X will be created in system T" before the vendor call, for vendors without
   * idempotency keys. A second reservation returns the first, with its state and native id, so a
   * retry looks for the record instead of creating it twice.
   */
  reserveCreate(request: ReserveCreateRequest): Promise<ReserveResult>;
  /**
   * Hands a pending reservation to another execution (one whose holder is long gone, or the failed run an
   * operator's restart carries on), only if it is still pending and held as the taker read it: of two
   * executions taking the same reservation over at once, exactly one gets it (true) and may create.
   */
  takeOverReservation(request: TakeOverRequest): Promise<boolean>;
  /**
   * Records the native id of a reserved create and claims the native record.
   * @throws CrossReferenceConflictError when the native record belongs to another global id, or the
   *   global id already has another record in that system.
   */
  completeCreate(request: CompleteCreateRequest): Promise<void>;
  /** The global id of a native record, following merges; undefined if never claimed. */
  resolve(record: NativeRecord): Promise<string | undefined>;
  /** Every system link of a global id, following merges, including those of global ids merged into it. */
  linksOf(globalId: string): Promise<SystemLink[]>;
  /** Records a source version only if it is strictly newer than the one stored for that source. */
  recordVersion(request: RecordVersionRequest): Promise<VersionResult>;
  /**
   * Merges `merged` into `survivor` (a CRM account merge): every system id of both stays reachable
   * from the survivor, and the merged id's native records resolve to it. Safe to re-run.
   * @throws MergeRefusedError for a merge into itself, a cycle, or a record already merged elsewhere.
   */
  mergeGlobalIds(request: MergeRequest): Promise<void>;
}

/** A native record already belongs to another global id than the one completing it. */
export class CrossReferenceConflictError extends SyncError {
  override readonly name = 'CrossReferenceConflict';
}

/** A merge that would lose or loop records: into itself, into a cycle, or of a record merged elsewhere. */
export class MergeRefusedError extends SyncError {
  override readonly name = 'MergeRefused';
}
