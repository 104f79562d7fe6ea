import { isNewer } from '../../canonical/source-version';
import {
  type ClaimRequest,
  type ClaimResult,
  type CompleteCreateRequest,
  CrossReferenceConflictError,
  type CrossReferenceRegistry,
  MergeRefusedError,
  type MergeRequest,
  type NativeRecord,
  type RecordVersionRequest,
  type ReserveCreateRequest,
  type ReserveResult,
  type SystemLink,
  type TakeOverRequest,
  type VersionResult,
} from '../../lambdas/common/cross-reference/registry';

/** A plain fake of the registry port for domain tests; the DynamoDB adapter has its own tests against dynalite. */
export class InMemoryRegistry implements CrossReferenceRegistry {
  readonly claims = new Map<string, string>();
  readonly links = new Map<string, SystemLink>();
  private readonly versions = new Map<string, string>();
  private readonly mergedInto = new Map<string, string>();

  private claimKey(r: NativeRecord): string {
    return `${r.system.vendor}#${r.system.instance}#${r.entityType}#${r.nativeId}`;
  }

  private survivorOf(globalId: string): string {
    let id = globalId;
    while (this.mergedInto.has(id)) id = this.mergedInto.get(id)!;
    return id;
  }

  async claimNativeRecord(request: ClaimRequest): Promise<ClaimResult> {
    const { globalId, ...record } = request;
    const winner = this.claims.get(this.claimKey(record));
    if (winner !== undefined && winner !== globalId) return { outcome: 'already-claimed', globalId: this.survivorOf(winner) };
    this.claims.set(this.claimKey(record), globalId);
    const key = `${globalId}#${record.system.vendor}#${record.system.instance}`;
    const link = this.links.get(key);
    if (link?.nativeId !== undefined && link.nativeId !== record.nativeId) throw new CrossReferenceConflictError('second native id');
    this.links.set(key, { ...link, globalId, entityType: record.entityType, system: record.system, state: 'completed', nativeId: record.nativeId });
    return { outcome: 'claimed', globalId: this.survivorOf(globalId) };
  }

  async reserveCreate(request: ReserveCreateRequest): Promise<ReserveResult> {
    const { entityType, globalId, target, executionId } = request;
    const key = `${globalId}#${target.vendor}#${target.instance}`;
    const existing = this.links.get(key);
    if (existing) return { outcome: 'existing', link: existing };
    this.links.set(key, { globalId, entityType, system: target, state: 'pending', executionId, reservedAt: new Date().toISOString() });
    return { outcome: 'reserved' };
  }

  async takeOverReservation(request: TakeOverRequest): Promise<boolean> {
    const key = `${request.globalId}#${request.target.vendor}#${request.target.instance}`;
    const link = this.links.get(key);
    if (link?.state !== 'pending' || link.executionId !== request.from.executionId || link.reservedAt !== request.from.reservedAt) return false;
    this.links.set(key, { ...link, executionId: request.executionId, reservedAt: new Date().toISOString() });
    return true;
  }

  async completeCreate(request: CompleteCreateRequest): Promise<void> {
    const claim = await this.claimNativeRecord({
      entityType: request.entityType,
      system: request.target,
      nativeId: request.nativeId,
      globalId: request.globalId,
    });
    if (claim.outcome === 'already-claimed') throw new CrossReferenceConflictError('claimed by another');
  }

  async resolve(record: NativeRecord): Promise<string | undefined> {
    const id = this.claims.get(this.claimKey(record));
    return id === undefined ? undefined : this.survivorOf(id);
  }

  async linksOf(globalId: string): Promise<SystemLink[]> {
    const survivor = this.survivorOf(globalId);
    return [...this.links.values()].filter((l) => this.survivorOf(l.globalId) === survivor);
  }

  async recordVersion(request: RecordVersionRequest): Promise<VersionResult> {
    const key = `${request.globalId}#${request.source.vendor}#${request.source.instance}${request.counter ? `#${request.counter}` : ''}`;
    const stored = this.versions.get(key);
    if (!isNewer(request.version, stored)) return { outcome: 'stale', storedVersion: stored! };
    this.versions.set(key, request.version);
    return { outcome: 'applied' };
  }

  async mergeGlobalIds({ survivor, merged }: MergeRequest): Promise<void> {
    if (survivor === merged) throw new MergeRefusedError('into itself');
    const current = this.mergedInto.get(merged);
    if (current !== undefined && current !== survivor) throw new MergeRefusedError('already merged elsewhere');
    if (this.survivorOf(survivor) === merged) throw new MergeRefusedError('cycle');
    this.mergedInto.set(merged, survivor);
  }
}
