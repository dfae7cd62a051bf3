import { createHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import { ConnectorError } from "@sis-sync/roster";
import { SisHttpError, type SisHttpClient } from "../http";

export type OAuth1SignatureMethod = "HMAC-SHA256" | "HMAC-SHA1";

/**
 * OAuth 1.0a request signing as OneRoster 1.1 (and ClassLink's own `request-libraries`) does it:
 * two-legged (no `oauth_token`), HMAC-SHA256 by default, key `enc(secret)&`, and the base string
 * over the URL without its query plus *all* query parameters merged with the oauth ones.
 * ClassLink's library sends no `oauth_version`; it is optional in RFC 5849 §3.1, so we omit it
 * too and the header is byte-compatible with what ClassLink servers are tested against.
 */
export function oauth1Authorizer(credentials: { clientId: string; clientSecret: string; signatureMethod?: OAuth1SignatureMethod }) {
  const method = credentials.signatureMethod ?? "HMAC-SHA256";
  const algorithm = method === "HMAC-SHA1" ? "sha1" : "sha256";
  const oauth = new OAuth({
    consumer: { key: credentials.clientId, secret: credentials.clientSecret },
    signature_method: method,
    hash_function: (base, key) => createHmac(algorithm, key).update(base).digest("base64"),
    parameter_seperator: ",",
  });
  return (req: { method: "GET" | "POST"; url: string }): Record<string, string> => {
    const data = {
      oauth_consumer_key: credentials.clientId,
      oauth_nonce: oauth.getNonce(),
      oauth_signature_method: method,
      oauth_timestamp: oauth.getTimeStamp(),
    } as OAuth.Authorization;
    // The library's own signing (base string, RFC 3986 encoding, sorting, key) on our parameter set.
    data.oauth_signature = oauth.getSignature({ url: req.url, method: req.method, data: {} }, undefined as unknown as string, data);
    return { Authorization: oauth.toHeader(data).Authorization };
  };
}

interface TokenResponse {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) with the token cached until shortly before it
 * expires, one token request at a time, and a fresh token on a 401 (servers revoke early).
 * Client authentication is HTTP Basic (§2.3.1, the method servers MUST support); servers that
 * only read the form body get the credentials there on a second try.
 */
export class OAuth2ClientCredentials {
  private token: { value: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  private useBodyCredentials = false;

  constructor(
    private readonly http: SisHttpClient,
    private readonly options: { tokenUrl: string; clientId: string; clientSecret: string; scope?: string; refreshMarginMs?: number },
  ) {}

  async authorize(): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.getToken()}` };
  }

  /** Drops the cached token and fetches a new one; true when that worked (the request is then retried). */
  async refresh(): Promise<boolean> {
    this.token = null;
    await this.getToken();
    return true;
  }

  getToken(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    if (!this.pending) {
      this.pending = this.fetchToken(signal).finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.options;
    const form: Record<string, string> = { grant_type: "client_credentials", ...(scope ? { scope } : {}) };
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`;
    let res: { body: TokenResponse };
    if (this.useBodyCredentials) {
      res = await this.http.postForm<TokenResponse>(tokenUrl, { ...form, client_id: clientId, client_secret: clientSecret }, { signal });
    } else {
      try {
        res = await this.http.postForm<TokenResponse>(tokenUrl, form, { signal, headers: { Authorization: basic } });
      } catch (e) {
        // RFC 6749 §5.2: a server that wants credentials in the body answers 400/401 invalid_client.
        if (!(e instanceof SisHttpError) || !(e.status === 400 || e.status === 401)) throw e;
        res = await this.http.postForm<TokenResponse>(tokenUrl, { ...form, client_id: clientId, client_secret: clientSecret }, { signal });
        this.useBodyCredentials = true;
      }
    }
    const { access_token: value, expires_in: expiresIn, token_type: type } = res.body ?? {};
    if (typeof value !== "string" || value === "") {
      throw new ConnectorError("BAD_RESPONSE", `The token endpoint at ${new URL(tokenUrl).host} answered without an access_token`);
    }
    if (typeof type === "string" && type.toLowerCase() !== "bearer") {
      throw new ConnectorError("BAD_RESPONSE", `The token endpoint at ${new URL(tokenUrl).host} issued a "${type}" token; only bearer tokens are supported`);
    }
    const seconds = typeof expiresIn === "number" ? expiresIn : typeof expiresIn === "string" ? Number(expiresIn) : NaN;
    const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3600_000;
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    this.token = { value, expiresAt: Date.now() + lifetimeMs - margin };
    return value;
  }
}
