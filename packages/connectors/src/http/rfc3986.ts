/**
 * Strict RFC 3986 percent-encoding. `encodeURIComponent` leaves `!'()*` alone, but OneRoster
 * filters are full of `'` and OAuth 1.0a signs the strictly encoded form, so the query on the
 * wire must be byte-for-byte what was signed (ClassLink's own library does `.replace(/'/g,"%27")`).
 */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Appends `query` to `url` (keeping any query it already has) with RFC 3986 encoding.
 * Keys keep their insertion order; signing sorts them itself.
 */
export function buildUrl(url: string, query?: Record<string, string | number | undefined>): string {
  const parts = Object.entries(query ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(String(v))}`);
  if (parts.length === 0) return url;
  const hashless = url.split("#")[0];
  return `${hashless}${hashless.includes("?") ? (hashless.endsWith("?") || hashless.endsWith("&") ? "" : "&") : "?"}${parts.join("&")}`;
}

/** The URL without its query: for log lines and error messages. */
export function describeUrl(url: string): { host: string; path: string } {
  try {
    const u = new URL(url);
    return { host: u.host, path: u.pathname };
  } catch {
    return { host: "(invalid URL)", path: "" };
  }
}
