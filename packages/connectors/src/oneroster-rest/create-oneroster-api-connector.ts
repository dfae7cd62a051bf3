import type { SisConnector } from "@sis-sync/roster";
import type { ConnectorDeps } from "../connector-deps";
import { SisHttpClient, type SisHttpClientOptions } from "../http";
import type { OneRosterApiConfig } from "../provider-config";
import { OAuth2ClientCredentials, oauth1Authorizer } from "./oneroster-auth";
import { oneRosterRoot } from "./oneroster-client";
import { OneRosterRestConnector } from "./oneroster-connector";

/**
 * OneRoster servers publish no rate limits (research §5). 500 requests per 10 s per host is far
 * above what one sync needs at 1000 records a page, and stops a runaway loop (or many workers)
 * from hammering a district's server.
 */
export const ONEROSTER_RATE_LIMIT = { limit: 500, windowMs: 10_000 };

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface OneRosterTuning {
  pageSize?: number;
  http?: HttpTuning;
  /** For `test` (default: 1 retry, 15 s timeout, so the admin's button answers quickly). */
  testHttp?: HttpTuning;
}

type HttpTuning = Partial<Omit<SisHttpClientOptions, "deps" | "sourceName" | "authorize" | "onUnauthorized">>;

/**
 * Where the OAuth 2.0 token endpoint is when the config names none: `<origin>/oauth/token`
 * (OneRoster 1.1 leaves it to the server; 1.2 servers publish it with the credentials).
 */
export function defaultTokenUrl(baseUrl: string): string {
  return new URL("/oauth/token", baseUrl).toString();
}

/**
 * The pieces both OneRoster REST flavours share: a sync client and a quick `test` client with
 * the same credentials (OAuth 1.0a signing, or an OAuth 2.0 token source per client).
 */
export function buildOneRosterConnector(
  deps: ConnectorDeps,
  o: { sourceName: string; root: string; clientId: string; clientSecret: string; auth: "oauth1" | "oauth2"; tokenUrl?: string },
  tuning: OneRosterTuning,
): OneRosterRestConnector {
  const sign = oauth1Authorizer({ clientId: o.clientId, clientSecret: o.clientSecret });
  const tokenUrl = o.tokenUrl ?? defaultTokenUrl(o.root);
  // Each client fetches its tokens through itself, so `test` keeps its short retry budget end to end.
  const make = (t: HttpTuning | undefined) => {
    let oauth2: OAuth2ClientCredentials | null = null;
    const http = new SisHttpClient({
      deps,
      sourceName: o.sourceName,
      rateLimit: ONEROSTER_RATE_LIMIT,
      ...t,
      authorize: (req) => (oauth2 ? oauth2.authorize() : sign(req)),
      onUnauthorized: async () => (oauth2 ? oauth2.refresh() : false),
    });
    if (o.auth === "oauth2") oauth2 = new OAuth2ClientCredentials(http, { tokenUrl, clientId: o.clientId, clientSecret: o.clientSecret });
    return http;
  };
  const http = make(tuning.http);
  const testHttp = make({ maxRetries: 1, timeoutMs: 15_000, ...tuning.http, ...tuning.testHttp });
  return new OneRosterRestConnector({ http, testHttp, root: o.root, sourceName: o.sourceName, pageSize: tuning.pageSize });
}

export function createOneRosterApiConnector(config: OneRosterApiConfig, deps: ConnectorDeps, tuning: OneRosterTuning = {}): OneRosterRestConnector & SisConnector {
  return buildOneRosterConnector(
    deps,
    { sourceName: "OneRoster server", root: oneRosterRoot(config.baseUrl), clientId: config.clientId, clientSecret: config.clientSecret, auth: config.auth ?? "oauth1", tokenUrl: config.tokenUrl },
    tuning,
  );
}
