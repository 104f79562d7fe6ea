/**
 * Key design of the cross-reference table: one table, generic string keys `pk`/`sk`, no index.
 * Every write is a single-item conditional write: DynamoDB transactions are not used (dynalite has
 * none), so every multi-write sequence is ordered so an interruption leaves a state that a re-run
 * completes. The CDK construct (`lib/cross-reference-table.ts`) and the dynalite tests both build the
 * table from this module.
 *
 * | item           | pk                                                   | sk                            | attributes                                                  | guarded by                                                                                   |
 * | -------------- | ---------------------------------------------------- | ----------------------------- | ----------------------------------------------------------- | -------------------------------------------------------------------------------------------- |
 * | native claim   | `NATIVE#<vendor>#<instance>#<entityType>#<nativeId>` | `CLAIM`                       | globalId, entityType, claimedAt                             | put `attribute_not_exists(pk)`: one owner per native record, of any number of creators       |
 * | system link    | `GLOBAL#<globalId>`                                  | `LINK#<vendor>#<instance>`    | entityType, vendor, instance, state (pending / completed), nativeId, executionId | reserve: put `attribute_not_exists(pk)`; complete: `attribute_not_exists(nativeId) OR nativeId = :nativeId` |
 * | source version | `GLOBAL#<globalId>`                                  | `VERSION#<vendor>#<instance>[#<counter>]` | version (Number, exact to 38 digits), recordedAt            | `attribute_not_exists(version) OR version < :candidate`                                      |
 * | merge marker   | `GLOBAL#<survivor>`                                  | `MERGED#<mergedGlobalId>`     | mergedAt                                                    | none: written first, counts only once the merged id's META points back at this survivor     |
 * | metadata       | `GLOBAL#<globalId>`                                  | `META`                        | mergedInto, mergedAt                                        | `attribute_not_exists(mergedInto) OR mergedInto = :survivor`: the merge's single commit point |
 * | write journal  | `JOURNAL#<instance>#<globalId>`                      | the write's key (`story/task/Discovery`) | state (pending / done), value, at                 | none: one step writes its own scope (`lambdas/dynamodb/write-journal.ts`)                    |
 *
 * Reads: `resolve` gets the claim, then follows META.mergedInto; `linksOf` queries the survivor's
 * partition and descends through its MERGED# markers (each one checked against the merged id's META,
 * read in the same query), so one query per global id in the merge tree.
 */

/** A key attribute: its name and DynamoDB scalar type. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** The key schema of the cross-reference table: what the construct and the tests create. */
export const CROSS_REFERENCE_TABLE = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** No global secondary index: every read is by key (see the table above). */
  globalSecondaryIndexes: [],
} as const satisfies { partitionKey: KeyAttribute; sortKey: KeyAttribute; globalSecondaryIndexes: readonly unknown[] };

/** Sort key prefixes of the items under a `GLOBAL#` partition. */
export const SORT_KEY = { claim: 'CLAIM', link: 'LINK#', version: 'VERSION#', mergeMarker: 'MERGED#', meta: 'META' } as const;

/** The key of each item kind. */
export const crossReferenceKeys = {
  nativeClaim: (vendor: string, instance: string, entityType: string, nativeId: string) => ({
    pk: `NATIVE#${vendor}#${instance}#${entityType}#${nativeId}`,
    sk: SORT_KEY.claim,
  }),
  globalPartition: (globalId: string) => `GLOBAL#${globalId}`,
  link: (globalId: string, vendor: string, instance: string) => ({ pk: `GLOBAL#${globalId}`, sk: `${SORT_KEY.link}${vendor}#${instance}` }),
  version: (globalId: string, vendor: string, instance: string, counter?: string) => ({
    pk: `GLOBAL#${globalId}`,
    sk: `${SORT_KEY.version}${vendor}#${instance}${counter ? `#${counter}` : ''}`,
  }),
  mergeMarker: (survivor: string, merged: string) => ({ pk: `GLOBAL#${survivor}`, sk: `${SORT_KEY.mergeMarker}${merged}` }),
  meta: (globalId: string) => ({ pk: `GLOBAL#${globalId}`, sk: SORT_KEY.meta }),
};
