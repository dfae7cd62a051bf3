/**
 * OAuth 1.0a request verification as ClassLink's signing library produces it
 * (classlinkinc/request-libraries): HMAC-SHA256, base string over every query parameter plus
 * the oauth_* parameters, strict RFC 3986 encoding, key = enc(secret) + "&", no token.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Requests signed more than this long ago (or ahead) are refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** RFC 3986 percent-encoding (encodeURIComponent leaves !'()* alone; OneRoster filters are full of '). */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, " "));
}

export function parseOAuthHeader(header: string): Map<string, string> | null {
  const match = /^OAuth\s+(.*)$/i.exec(header.trim());
  if (!match) return null;
  const params = new Map<string, string>();
  for (const part of match[1].split(",")) {
    const kv = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) return null;
    params.set(formDecode(kv[1]), formDecode(kv[2]));
  }
  return params;
}

export function signatureBaseString(method: string, baseUrl: string, rawQuery: string, oauthParams: Map<string, string>): string {
  const pairs: [string, string][] = [];
  for (const piece of rawQuery.split("&")) {
    if (!piece) continue;
    const eq = piece.indexOf("=");
    const key = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? "" : piece.slice(eq + 1);
    pairs.push([rfc3986(formDecode(key)), rfc3986(formDecode(value))]);
  }
  for (const [key, value] of oauthParams) {
    if (key !== "oauth_signature" && key !== "realm") pairs.push([rfc3986(key), rfc3986(value)]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? (va < vb ? -1 : va > vb ? 1 : 0) : ka < kb ? -1 : 1));
  const normalized = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  return `${method.toUpperCase()}&${rfc3986(baseUrl)}&${rfc3986(normalized)}`;
}

const ALGORITHMS: Record<string, string> = { "HMAC-SHA256": "sha256", "HMAC-SHA1": "sha1" };

export type OAuth1Result = { ok: true } | { ok: false; reason: string };

/** Verifies one request; remembers nonces for the skew window so a replay is refused. */
export class OAuth1Verifier {
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  verify(method: string, baseUrl: string, rawQuery: string, header: string, nowSeconds = Math.floor(Date.now() / 1000)): OAuth1Result {
    const params = parseOAuthHeader(header);
    if (!params) return { ok: false, reason: "malformed OAuth header" };
    if (params.get("oauth_consumer_key") !== this.clientId) return { ok: false, reason: "unknown consumer key" };
    const algorithm = ALGORITHMS[params.get("oauth_signature_method") ?? ""];
    if (!algorithm) return { ok: false, reason: "unsupported signature method" };
    const timestamp = Number(params.get("oauth_timestamp"));
    if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > MAX_CLOCK_SKEW_SECONDS) {
      return { ok: false, reason: "stale or missing timestamp" };
    }
    const nonce = params.get("oauth_nonce");
    if (!nonce) return { ok: false, reason: "missing nonce" };
    const signature = params.get("oauth_signature") ?? "";
    const key = `${rfc3986(this.clientSecret)}&`;
    const expected = createHmac(algorithm, key).update(signatureBaseString(method, baseUrl, rawQuery, params)).digest();
    const given = Buffer.from(signature, "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid signature" };
    // Insertion order is roughly time order: drop the expired head.
    for (const [seen, at] of this.nonces) {
      if (nowSeconds - at <= MAX_CLOCK_SKEW_SECONDS) break;
      this.nonces.delete(seen);
    }
    if (this.nonces.has(nonce)) return { ok: false, reason: "nonce already used" };
    this.nonces.set(nonce, timestamp);
    return { ok: true };
  }
}
