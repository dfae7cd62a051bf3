export * from "./provider-config";
export type { ConnectorDeps } from "./connector-deps";
export { createConnector } from "./create-connector";
export { SisHttpClient, SisHttpError, PageGuard, DEFAULT_MAX_PAGES, encodeRfc3986, buildUrl, type SisHttpClientOptions, type SisJsonResponse } from "./http";
export { OneRosterCsvConnector, createOneRosterCsvConnector, hostKeyFingerprint, type OneRosterCsvConnectorOptions } from "./oneroster-csv";
export { CleverConnector, createCleverConnector, type CleverConnectorOptions } from "./clever";
export { OneRosterRestConnector, createOneRosterApiConnector, oauth1Authorizer, OAuth2ClientCredentials, oneRosterRoot, type OneRosterTuning } from "./oneroster-rest";
export { createClassLinkConnector, classLinkRoot } from "./classlink";
export { assertHostAllowed, guardedLookup, isPublicAddress, type HostPolicy } from "./net/host-guard";
