export { startSyncWorker, type SyncWorkerHandle, type StartWorkerOptions } from "./start-worker";
export type { ConnectorFactory } from "./sync-processor";
