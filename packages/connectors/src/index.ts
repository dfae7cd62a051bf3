export * from "./provider-config";
export type { ConnectorDeps } from "./connector-deps";
export { createConnector } from "./create-connector";
