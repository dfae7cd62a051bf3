export { SisHttpClient, SisHttpError, hintedWaitMs, type SisHttpClientOptions, type SisJsonResponse } from "./sis-http-client";
export { PageGuard, DEFAULT_MAX_PAGES } from "./page-guard";
export { buildUrl, encodeRfc3986 } from "./rfc3986";
export { SharedRateLimiter } from "./shared-rate-limiter";
