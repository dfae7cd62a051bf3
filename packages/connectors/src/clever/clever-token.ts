import { ConnectorError } from "@sis-sync/roster";
import type { CleverGetJson } from "./clever-paging";
import type { CleverTokenEntry } from "./clever-types";

export const CLEVER_TOKEN_URL = "https://clever.com/oauth/tokens";

/** `Authorization` for the token endpoint: HTTP Basic over the app's client id and secret. */
export function cleverBasicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, "utf8").toString("base64")}`;
}

/**
 * Fetches the district-app bearer token the way Clever's district apps do: not an OAuth
 * client-credentials grant but `GET /oauth/tokens?owner_type=district&district=<id>` with
 * Basic client credentials, which lists the tokens of districts that authorised the app
 * (sis-protocols.md §1.2). Re-fetching after a 401 picks up a rotated token.
 * `getJson` must send `cleverBasicAuth(...)`.
 */
export async function fetchCleverDistrictToken(
  getJson: CleverGetJson,
  options: { tokenUrl: string; districtId: string; signal: AbortSignal },
): Promise<string> {
  let body: unknown;
  try {
    ({ body } = await getJson(options.tokenUrl, {
      signal: options.signal,
      query: { owner_type: "district", district: options.districtId },
    }));
  } catch (err) {
    if (err instanceof ConnectorError && err.code === "AUTH_FAILED") {
      throw new ConnectorError("AUTH_FAILED", "Clever refused the client ID and secret when asked for the district token; check the app credentials", { cause: err });
    }
    throw err;
  }
  const list = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(list)) {
    throw new ConnectorError("BAD_RESPONSE", "Clever's token endpoint answered without a data list");
  }
  const entries = list as CleverTokenEntry[];
  const usable = entries.filter((e) => typeof e?.access_token === "string" && e.access_token !== "");
  // Without `district=` Clever lists every authorising district; with it, the owner must still match.
  const match =
    usable.find((e) => e.owner?.id === options.districtId) ??
    (usable.length === 1 && (usable[0].owner?.id == null || usable[0].owner?.id === "") ? usable[0] : undefined);
  if (!match) {
    throw new ConnectorError(
      "AUTH_FAILED",
      `Clever has no token for district ${options.districtId}: the district has not authorised this app, or the district ID is wrong`,
    );
  }
  return match.access_token as string;
}
