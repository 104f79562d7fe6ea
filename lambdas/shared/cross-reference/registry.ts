import type { EntityType } from '../../../canonical/entity-types';
import type { SystemRef } from '../../../canonical/systems';

/**
 * The cross-reference registry: which id each system instance uses for a record we know by its
 * global id, and the last version of it we applied from each source. A port: domain code depends on
 * this interface; `DynamoDbCrossReferenceRegistry` is the adapter.
 */

/** A native record: its id in one system instance. */
export interface NativeRecord {
  readonly entityType: EntityType;
  readonly system: SystemRef;
  readonly nativeId: string;
}

/** A link from a global id to one system instance, possibly still being created there. */
export interface SystemLink {
  readonly entityType: EntityType;
  readonly system: SystemRef;
  readonly state: 'pending' | 'completed';
  /** Present once the record exists in the system. */
  readonly nativeId?: string;
  /** The execution that reserved the create. */
  readonly execution?: string;
}

/** Result of claiming a native record for a global id. */
export type ClaimResult = { readonly outcome: 'claimed'; readonly globalId: string } | { readonly outcome: 'already-claimed'; readonly globalId: string };

/** Result of reserving a create in a target system. */
export type ReserveResult = { readonly outcome: 'reserved' } | { readonly outcome: 'existing'; readonly link: SystemLink };

/** Result of recording a version. */
export type VersionResult = { readonly outcome: 'applied' } | { readonly outcome: 'stale'; readonly storedVersion: string };

/** The registry port. */
export interface CrossReferenceRegistry {
  /**
   * Claims a native record for a global id. Of concurrent claimers exactly one wins; the others learn
   * the winner. A repeated claim by the winner is `claimed` again (idempotent).
   */
  claimNativeRecord(record: NativeRecord, globalId: string): Promise<ClaimResult>;
  /**
   * Reserves "global id X will be created in system T" before the vendor call, for vendors without
   * idempotency keys. A second reservation returns the first, with its state and native id.
   */
  reserveCreate(globalId: string, entityType: EntityType, target: SystemRef, execution: string): Promise<ReserveResult>;
  /** Records the native id of a reserved create and claims it. */
  completeCreate(globalId: string, entityType: EntityType, target: SystemRef, nativeId: string): Promise<void>;
  /** The global id of a native record, following merges; undefined if never claimed. */
  resolve(record: NativeRecord): Promise<string | undefined>;
  /** Every system link of a global id, including those of global ids merged into it. */
  linksOf(globalId: string): Promise<SystemLink[]>;
  /** Records a source version only if it is newer than the stored one for that source. */
  recordVersion(globalId: string, source: SystemRef, version: string): Promise<VersionResult>;
  /** Merges `merged` into `survivor` (a CRM account merge): every system id stays reachable. */
  mergeGlobalIds(survivor: string, merged: string): Promise<void>;
}

/** A native record already belongs to another global id than the one completing it. */
export class CrossReferenceConflictError extends Error {
  override readonly name = 'CrossReferenceConflict';
}
