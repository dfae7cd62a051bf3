export * from "./provider-config";
export type { ConnectorDeps } from "./connector-deps";
export { createConnector } from "./create-connector";
export { SisHttpClient, PageGuard, DEFAULT_MAX_PAGES, encodeRfc3986, buildUrl, type SisHttpClientOptions, type SisJsonResponse } from "./http";
export { OneRosterCsvConnector, createOneRosterCsvConnector, hostKeyFingerprint, type OneRosterCsvConnectorOptions } from "./oneroster-csv";
export { CleverConnector, createCleverConnector, type CleverConnectorOptions } from "./clever";
