export * from "./sync-pipeline";
export { executeSync } from "./execute-sync";
export { pruneStaging } from "./prune-staging";
