export * from "./sync-pipeline";
export { executeSync } from "./execute-sync";
