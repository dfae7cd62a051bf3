export { CleverConnector, createCleverConnector, CLEVER_BASE_URL, CLEVER_RATE_LIMIT, type CleverConnectorOptions } from "./clever-connector";
export { CLEVER_TOKEN_URL } from "./clever-token";
export { CLEVER_MAX_PAGE_SIZE } from "./clever-paging";
export { normaliseCleverGrade, primaryCleverRole, CLEVER_ROLE_PRECEDENCE } from "./clever-mappers";
