/**
 * Key layout of the cross-reference table (single table, generic `pk`/`sk`, no index). Every write
 * is a single-item conditional write: DynamoDB transactions are not used (dynalite lacks them, and
 * every sequence below is ordered so an interruption leaves a state that a re-run completes).
 *
 * | item           | pk                                                   | sk                           | attributes                                   | guarded by                                              |
 * | -------------- | ---------------------------------------------------- | ---------------------------- | -------------------------------------------- | ------------------------------------------------------- |
 * | native claim   | `NATIVE#<vendor>#<instance>#<entityType>#<nativeId>` | `CLAIM`                      | globalId, claimedAt                          | `attribute_not_exists(pk)`: one owner per native id     |
 * | system link    | `GLOBAL#<globalId>`                                  | `LINK#<vendor>#<instance>`   | entityType, state (pending/completed), nativeId, execution | `attribute_not_exists(pk)` to reserve; complete only from pending or with the same nativeId |
 * | source version | `GLOBAL#<globalId>`                                  | `VERSION#<vendor>#<instance>`| version (Number, exact to 38 digits)         | `attribute_not_exists(version) OR version < :candidate` |
 * | merge marker   | `GLOBAL#<survivor>`                                  | `MERGED#<mergedGlobalId>`    | mergedAt                                     | put before the pointer below, so links are never lost   |
 * | metadata       | `GLOBAL#<globalId>`                                  | `META`                       | mergedInto                                   | `attribute_not_exists(mergedInto) OR mergedInto = :s`   |
 */
export const CROSS_REFERENCE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Keys of each item kind. */
export const crossReferenceKeys = {
  nativeClaim: (vendor: string, instance: string, entityType: string, nativeId: string) => ({ pk: `NATIVE#${vendor}#${instance}#${entityType}#${nativeId}`, sk: 'CLAIM' }),
  link: (globalId: string, vendor: string, instance: string) => ({ pk: `GLOBAL#${globalId}`, sk: `LINK#${vendor}#${instance}` }),
  version: (globalId: string, vendor: string, instance: string) => ({ pk: `GLOBAL#${globalId}`, sk: `VERSION#${vendor}#${instance}` }),
  mergeMarker: (survivor: string, merged: string) => ({ pk: `GLOBAL#${survivor}`, sk: `MERGED#${merged}` }),
  meta: (globalId: string) => ({ pk: `GLOBAL#${globalId}`, sk: 'META' }),
};
