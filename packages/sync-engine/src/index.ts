export * from "./sync-pipeline";
export { executeSync } from "./execute-sync";
export { pruneStaging } from "./prune-staging";
export { pruneChanges, pruneDeliveries, changeFeedPrunedThrough, countChangesInRange, CHANGE_PRUNE_BATCH_SIZE, type PruneChangesOptions, type PruneChangesResult } from "./prune-changes";
export {
  listRosterEntities,
  type RosterListFilter,
  type RosterSource,
  type RosterEntityByKind,
  type RosterSchool,
  type RosterClass,
  type RosterUser,
  type RosterEnrollment,
} from "./roster-queries";
export { encodeChangeCursor, decodeChangeCursor, changeView, listTenantChanges, listRunChanges, changesInRange, type ChangeView, type RunChangeFilter } from "./change-queries";
