import type { EntityType, SystemRef } from '../../canonical';
import { isNewer } from '../../canonical/source-version';
import {
  type ClaimResult,
  CrossReferenceConflictError,
  type CrossReferenceRegistry,
  type NativeRecord,
  type ReserveResult,
  type SystemLink,
  type VersionResult,
} from '../../lambdas/shared/cross-reference/registry';

/** A plain fake of the registry port for domain tests; the DynamoDB adapter has its own tests against dynalite. */
export class InMemoryRegistry implements CrossReferenceRegistry {
  readonly claims = new Map<string, string>();
  readonly links = new Map<string, SystemLink>();
  private readonly versions = new Map<string, string>();
  private readonly mergedInto = new Map<string, string>();

  private claimKey(r: NativeRecord): string {
    return `${r.system.vendor}#${r.system.instance}#${r.entityType}#${r.nativeId}`;
  }

  async claimNativeRecord(record: NativeRecord, globalId: string): Promise<ClaimResult> {
    const winner = this.claims.get(this.claimKey(record));
    if (winner !== undefined && winner !== globalId) return { outcome: 'already-claimed', globalId: winner };
    this.claims.set(this.claimKey(record), globalId);
    const key = `${globalId}#${record.system.vendor}#${record.system.instance}`;
    const link = this.links.get(key);
    if (link?.nativeId !== undefined && link.nativeId !== record.nativeId) throw new CrossReferenceConflictError('second native id');
    this.links.set(key, { ...link, entityType: record.entityType, system: record.system, state: 'completed', nativeId: record.nativeId });
    return { outcome: 'claimed', globalId };
  }

  async reserveCreate(globalId: string, entityType: EntityType, target: SystemRef, execution: string): Promise<ReserveResult> {
    const key = `${globalId}#${target.vendor}#${target.instance}`;
    const existing = this.links.get(key);
    if (existing) return { outcome: 'existing', link: existing };
    this.links.set(key, { entityType, system: target, state: 'pending', execution });
    return { outcome: 'reserved' };
  }

  async completeCreate(globalId: string, entityType: EntityType, target: SystemRef, nativeId: string): Promise<void> {
    const claim = await this.claimNativeRecord({ entityType, system: target, nativeId }, globalId);
    if (claim.outcome === 'already-claimed') throw new CrossReferenceConflictError('claimed by another');
  }

  async resolve(record: NativeRecord): Promise<string | undefined> {
    let id = this.claims.get(this.claimKey(record));
    while (id !== undefined && this.mergedInto.has(id)) id = this.mergedInto.get(id);
    return id;
  }

  async linksOf(globalId: string): Promise<SystemLink[]> {
    const ids = [globalId, ...[...this.mergedInto.entries()].filter(([, s]) => s === globalId).map(([m]) => m)];
    return [...this.links.entries()].filter(([k]) => ids.some((id) => k.startsWith(`${id}#`))).map(([, l]) => l);
  }

  async recordVersion(globalId: string, source: SystemRef, version: string): Promise<VersionResult> {
    const key = `${globalId}#${source.vendor}#${source.instance}`;
    const stored = this.versions.get(key);
    if (!isNewer(version, stored)) return { outcome: 'stale', storedVersion: stored! };
    this.versions.set(key, version);
    return { outcome: 'applied' };
  }

  async mergeGlobalIds(survivor: string, merged: string): Promise<void> {
    this.mergedInto.set(merged, survivor);
  }
}
