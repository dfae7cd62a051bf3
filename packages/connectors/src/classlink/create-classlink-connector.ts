import type { SisConnector } from "@sis-sync/roster";
import type { ConnectorDeps } from "../connector-deps";
import { buildOneRosterConnector, type OneRosterRestConnector, type OneRosterTuning } from "../oneroster-rest";
import { ONEROSTER_V1P1_PATH } from "../oneroster-rest/oneroster-client";
import type { ClassLinkConfig } from "../provider-config";

/**
 * ClassLink's OneRoster proxy (research §2). Its requests look like
 * `https://oneroster-proxy.classlink.io/{id}/ims/oneroster/v1p1/schools`; a third party reports
 * the host `oneroster-proxy.apis.classlink.com`, so the origin is configurable via `baseUrl`.
 */
export const CLASSLINK_PROXY_ORIGIN = "https://oneroster-proxy.classlink.io";

/**
 * The OneRoster root for a ClassLink provider:
 * - `baseUrl` that already names an `/ims/oneroster/…` path is used as given: a district's own
 *   Roster Server (`https://<district>-<region>-v2.oneroster.com/ims/oneroster/v1p1`) from the
 *   developer console, or a full proxy root;
 * - otherwise `baseUrl` (default: ClassLink's proxy) is a proxy origin and the tenant addresses
 *   the district in the path: `<origin>/<tenantId>/ims/oneroster/v1p1`.
 */
export function classLinkRoot(config: Pick<ClassLinkConfig, "tenantId" | "baseUrl">): string {
  const u = new URL(config.baseUrl ?? CLASSLINK_PROXY_ORIGIN);
  u.search = "";
  u.hash = "";
  const path = u.pathname.replace(/\/+$/, "");
  if (/\/ims\/oneroster(\/|$)/.test(path)) {
    u.pathname = path;
  } else {
    // The proxy id is an opaque, sometimes already URL-encoded token (`oneroster_application_id` is
    // "MoYPlyQWmG0%3D"): encode only what a path segment cannot carry, never double-encode.
    const tenant = config.tenantId.trim().replace(/[^A-Za-z0-9\-._~%!$&'()*+,;=:@]/g, (c) => encodeURIComponent(c));
    u.pathname = `${path}/${tenant}${ONEROSTER_V1P1_PATH}`;
  }
  return u.toString().replace(/\/+$/, "");
}

/**
 * CLASSLINK: the OneRoster REST connector with ClassLink's URL shape and auth. Requests are signed
 * with OAuth 1.0a HMAC-SHA256 from the client id and secret, byte-compatible with ClassLink's own
 * signing library ("IMS OneRoster v1.1 … uses OAuth1"); `enabledUser: "true"`-style strings and
 * absolute GUIDRef hrefs are handled by the shared mapper.
 */
export function createClassLinkConnector(config: ClassLinkConfig, deps: ConnectorDeps, tuning: OneRosterTuning = {}): OneRosterRestConnector & SisConnector {
  return buildOneRosterConnector(deps, { sourceName: "ClassLink", root: classLinkRoot(config), clientId: config.clientId, clientSecret: config.clientSecret, auth: "oauth1" }, tuning);
}
