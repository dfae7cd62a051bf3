/**
 * A small OneRoster 1.1 REST server for the connector's own tests: paging variants, OAuth 1.0a
 * verification written independently of the client (ClassLink's algorithm, research §2),
 * OAuth 2.0 client credentials with expiring tokens. The simulator's peer is the integration
 * counterpart; this one lets each test pin one behaviour.
 */
import http from "node:http";
import { createHmac, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";

export interface FakeOptions {
  collections: Record<string, { key: string; records: Record<string, unknown>[] }>;
  auth: { kind: "oauth1"; clientId: string; clientSecret: string } | { kind: "oauth2"; clientId: string; clientSecret: string; tokenLifetimeRequests?: number } | { kind: "none" };
  paging?: { totalHeader?: boolean; linkHeader?: boolean; maxLimit?: number; ignoreOffset?: boolean };
  /** A prefix before /ims/oneroster/v1p1 (ClassLink proxy style). */
  prefix?: string;
}

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** OAuth 1.0a verification as a ClassLink Roster Server would do it (HMAC-SHA256 over URL + all params). */
export function verifyOAuth1(method: string, fullUrl: string, header: string | undefined, secret: string): { ok: boolean; consumerKey?: string; reason?: string } {
  if (!header?.startsWith("OAuth ")) return { ok: false, reason: "no OAuth header" };
  const params: Record<string, string> = {};
  for (const m of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) params[m[1]] = decodeURIComponent(m[2]);
  const signature = params.oauth_signature;
  delete params.oauth_signature;
  const u = new URL(fullUrl);
  const all: [string, string][] = [...Object.entries(params)];
  // The wire query, decoded as a server does; must be RFC 3986 encoded so `'` arrives as %27.
  for (const part of u.search.slice(1).split("&").filter(Boolean)) {
    const [k, v = ""] = part.split("=");
    all.push([decodeURIComponent(k), decodeURIComponent(v)]);
  }
  const paramString = all
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join("&");
  const base = `${method}&${enc(`${u.origin}${u.pathname}`)}&${enc(paramString)}`;
  const algo = params.oauth_signature_method === "HMAC-SHA1" ? "sha1" : "sha256";
  const expected = createHmac(algo, `${enc(secret)}&`).update(base).digest("base64");
  return expected === signature ? { ok: true, consumerKey: params.oauth_consumer_key } : { ok: false, reason: "signature mismatch" };
}

export interface FakeServer {
  url: string;
  root: string;
  requests: { method: string; url: string; authorization?: string }[];
  tokensIssued: number;
  rawQueries: string[];
  close(): Promise<void>;
}

export async function startFakeOneRoster(opts: FakeOptions): Promise<FakeServer> {
  const tokens = new Map<string, number>();
  const state: FakeServer = { url: "", root: "", requests: [], tokensIssued: 0, rawQueries: [], close: async () => undefined };
  let dataRequests = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      state.requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
      const u = new URL(req.url ?? "/", state.url);
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(json));
      };
      const fail = (status: number, description: string) =>
        send(status, { statusInfoSet: [{ imsx_codeMajor: "failure", imsx_severity: "error", imsx_description: description, imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: "unauthorisedrequest" }] } }] });

      if (u.pathname === "/oauth/token" && req.method === "POST") {
        if (opts.auth.kind !== "oauth2") return send(404, {});
        const form = new URLSearchParams(body);
        let id = form.get("client_id");
        let secret = form.get("client_secret");
        const basic = req.headers.authorization?.match(/^Basic (.+)$/);
        if (basic) [id, secret] = Buffer.from(basic[1], "base64").toString().split(":").map(decodeURIComponent);
        if (form.get("grant_type") !== "client_credentials") return send(400, { error: "unsupported_grant_type" });
        if (id !== opts.auth.clientId || secret !== opts.auth.clientSecret) return send(401, { error: "invalid_client" });
        const token = randomUUID();
        tokens.set(token, dataRequests);
        state.tokensIssued++;
        return send(200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
      }

      const rootPath = `${opts.prefix ?? ""}/ims/oneroster/v1p1`;
      if (!u.pathname.startsWith(rootPath)) return fail(404, "unknown path");
      dataRequests++;
      if (opts.auth.kind === "oauth1") {
        const v = verifyOAuth1(req.method ?? "GET", u.toString(), req.headers.authorization, opts.auth.clientSecret);
        if (!v.ok || v.consumerKey !== opts.auth.clientId) return fail(401, `Unauthorized: ${v.reason ?? "unknown consumer"}`);
      } else if (opts.auth.kind === "oauth2") {
        const t = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
        const issued = t ? tokens.get(t) : undefined;
        if (issued === undefined) return fail(401, "invalid token");
        if (opts.auth.tokenLifetimeRequests !== undefined && dataRequests - issued > opts.auth.tokenLifetimeRequests) return fail(401, "token expired");
      }
      state.rawQueries.push(u.search);

      const name = u.pathname.slice(rootPath.length);
      const coll = opts.collections[name];
      if (!coll) return fail(404, "unknown object");
      const maxLimit = opts.paging?.maxLimit ?? Infinity;
      const limit = Math.min(Number(u.searchParams.get("limit") ?? 100), maxLimit);
      const offset = opts.paging?.ignoreOffset ? 0 : Number(u.searchParams.get("offset") ?? 0);
      const page = coll.records.slice(offset, offset + limit);
      const headers: Record<string, string> = {};
      if (opts.paging?.totalHeader) headers["X-Total-Count"] = String(coll.records.length);
      if (opts.paging?.linkHeader && offset + limit < coll.records.length) {
        headers.Link = `<${state.root}${name}?limit=${limit}&offset=${offset + limit}>; rel="next", <${state.root}${name}?limit=${limit}&offset=0>; rel="first"`;
      }
      send(200, { [coll.key]: page }, headers);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.root = `${state.url}${opts.prefix ?? ""}/ims/oneroster/v1p1`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
