import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { ConnectorError } from "@sis-sync/roster";
import { SisHttpClient, hintedWaitMs, type SisHttpClientOptions } from "../src/http";
import type { ConnectorDeps } from "../src/connector-deps";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

/** A tiny loopback server whose behaviour each test scripts per request number. */
async function serve(handler: Handler): Promise<{ url: string; requests: { url: string; headers: http.IncomingHttpHeaders; body: string }[]; sockets: Set<import("node:net").Socket>; close(): Promise<void> }> {
  const requests: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", headers: req.headers, body });
      handler(req, res, requests.length);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

interface LogLine {
  level: string;
  message: string;
  meta?: Record<string, unknown>;
}

function makeDeps(over: Partial<ConnectorDeps> = {}): ConnectorDeps & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => lines.push({ level, message, meta });
  return {
    providerId: "prov-1",
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    redis: null,
    redisPrefix: `test:${randomUUID()}:`,
    allowPrivateHosts: true,
    requireHttps: false,
    lines,
    ...over,
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

function client(over: Partial<SisHttpClientOptions> = {}): SisHttpClient {
  return new SisHttpClient({
    deps: makeDeps(),
    sourceName: "Test SIS",
    retryBaseDelayMs: 5,
    timeoutMs: 2_000,
    authorize: () => ({ Authorization: "Bearer secret-token-123" }),
    ...over,
  });
}

async function rejection(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error("expected a rejection");
}

describe("SisHttpClient", () => {
  const clients: SisHttpClient[] = [];
  const track = (c: SisHttpClient) => (clients.push(c), c);
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  it("sends the query RFC 3986-encoded exactly as handed to authorize()", async () => {
    const srv = await serve((_req, res) => json(res, 200, { ok: true }));
    const seen: string[] = [];
    const c = track(client({ authorize: (r) => (seen.push(r.url), { Authorization: "Bearer t" }) }));
    const out = await c.getJson<{ ok: boolean }>(`${srv.url}/ims/oneroster/v1p1/users`, {
      signal: new AbortController().signal,
      query: { limit: 100, offset: 0, filter: "role='student' AND status!='x'", fields: "sourcedId,givenName" },
    });
    await srv.close();
    expect(out.body).toEqual({ ok: true });
    expect(out.status).toBe(200);
    const wire = srv.requests[0].url;
    expect(wire).toBe("/ims/oneroster/v1p1/users?limit=100&offset=0&filter=role%3D%27student%27%20AND%20status%21%3D%27x%27&fields=sourcedId%2CgivenName");
    expect(seen).toEqual([`${srv.url}${wire}`]);
    expect(out.url).toBe(`${srv.url}${wire}`);
    expect(srv.requests[0].headers.authorization).toBe("Bearer t");
  });

  it("retries 5xx and dropped connections with backoff, re-authorizing each attempt", async () => {
    const srv = await serve((req, res, n) => {
      if (n === 1) return json(res, 503, { error: "busy" });
      if (n === 2) return req.socket.destroy();
      if (n === 3) return json(res, 502, {});
      json(res, 200, { page: n });
    });
    let auths = 0;
    const c = track(client({ authorize: () => ({ Authorization: `Bearer t${++auths}` }) }));
    const out = await c.getJson<{ page: number }>(`${srv.url}/x`, { signal: new AbortController().signal });
    await srv.close();
    expect(out.body).toEqual({ page: 4 });
    expect(srv.requests.map((r) => r.headers.authorization)).toEqual(["Bearer t1", "Bearer t2", "Bearer t3", "Bearer t4"]);
  });

  it("retries a 200 whose body is cut off mid-way", async () => {
    const srv = await serve((_req, res, n) => {
      if (n > 1) return json(res, 200, { users: [1, 2, 3] });
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"users":[1,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const c = track(client());
    const out = await c.getJson<{ users: number[] }>(`${srv.url}/x`, { signal: new AbortController().signal });
    await srv.close();
    expect(out.body.users).toEqual([1, 2, 3]);
    expect(srv.requests).toHaveLength(2);
  });

  it("reports a body cut off on every attempt as UNREACHABLE", async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write("{");
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const c = track(client({ maxRetries: 1 }));
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toBe(`Could not reach ${new URL(srv.url).host}: connection dropped mid-response (after 2 attempts)`);
  });

  it("honours Retry-After on 429, capped by maxRetryWaitMs", async () => {
    const srv = await serve((_req, res, n) => (n === 1 ? json(res, 429, {}, { "retry-after": "1" }) : n === 2 ? json(res, 429, {}, { "retry-after": "3600" }) : json(res, 200, { ok: 1 })));
    const c = track(client({ maxRetryWaitMs: 300 }));
    const t0 = Date.now();
    await c.getJson(`${srv.url}/x`, { signal: new AbortController().signal });
    const took = Date.now() - t0;
    await srv.close();
    expect(srv.requests).toHaveLength(3);
    // 1 s asked, capped to 300 ms; 3600 s asked, capped to 300 ms.
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(2_000);
  });

  it("reads Clever's X-RateLimit-Reset (Unix seconds) when there is no Retry-After", () => {
    const now = 1_700_000_000_000;
    expect(hintedWaitMs({ "x-ratelimit-reset": String(now / 1000 + 7) }, now)).toBe(7_000);
    expect(hintedWaitMs({ "retry-after": "2" }, now)).toBe(2_000);
    expect(hintedWaitMs({ "retry-after": new Date(now + 5_000).toUTCString() }, now)).toBe(5_000);
    expect(hintedWaitMs({}, now)).toBeNull();
  });

  it("backs off a 500 exponentially even when it carries Clever's X-RateLimit-Reset", async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 60);
    const srv = await serve((_req, res, n) => (n === 1 ? json(res, 500, {}, { "x-ratelimit-reset": reset }) : json(res, 200, { ok: 1 }, { "x-ratelimit-reset": reset })));
    const c = track(client({ maxRetryWaitMs: 30_000 }));
    const t0 = Date.now();
    await c.getJson(`${srv.url}/x`, { signal: new AbortController().signal });
    await srv.close();
    expect(srv.requests).toHaveLength(2);
    // The reset (a minute away) is a rate-limit hint, not a reason to wait after a 500.
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("gives RATE_LIMITED when 429 persists past the retries", async () => {
    const srv = await serve((_req, res) => json(res, 429, {}, { "retry-after": "0" }));
    const c = track(client({ maxRetries: 2 }));
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.message).toBe("Rate limited by " + new URL(srv.url).host + ": still 429 after 3 attempts");
    expect(srv.requests).toHaveLength(3);
  });

  it("refreshes credentials once on 401 and fails with AUTH_FAILED if still refused", async () => {
    let token = "old";
    const srv = await serve((req, res) => (req.headers.authorization === "Bearer fresh" ? json(res, 200, { ok: true }) : json(res, 401, { error: "invalid_token" })));
    const c = track(
      client({
        authorize: () => ({ Authorization: `Bearer ${token}` }),
        onUnauthorized: async () => ((token = "fresh"), true),
      }),
    );
    expect((await c.getJson(`${srv.url}/x`, { signal: new AbortController().signal })).body).toEqual({ ok: true });
    expect(srv.requests.map((r) => r.headers.authorization)).toEqual(["Bearer old", "Bearer fresh"]);

    let refreshes = 0;
    const c2 = track(client({ onUnauthorized: async () => (refreshes++, true) }));
    const err = await rejection(c2.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(refreshes).toBe(1);
    expect(err.code).toBe("AUTH_FAILED");
    expect(err.message).toBe(`Authentication failed: 401 from ${new URL(srv.url).host} (invalid_token)`);
    expect(err.message).not.toContain("secret-token");
  });

  it("does not retry other 4xx and reports BAD_RESPONSE with status and host", async () => {
    const srv = await serve((_req, res) => json(res, 404, { statusInfoSet: [{ imsx_codeMajor: "failure", imsx_description: "unknown object" }] }));
    const c = track(client());
    const err = await rejection(c.getJson(`${srv.url}/ims/oneroster/v1p1/nope`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("BAD_RESPONSE");
    expect(err.message).toBe(`Test SIS at ${new URL(srv.url).host} answered 404 for /ims/oneroster/v1p1/nope (unknown object)`);
    expect(srv.requests).toHaveLength(1);
  });

  it("rejects a 200 that is not JSON", async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login</html>");
    });
    const c = track(client());
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("BAD_RESPONSE");
    expect(err.message).toMatch(/not JSON .*200, text\/html/);
  });

  it("times out a hanging response and reports UNREACHABLE after the retries", async () => {
    const srv = await serve(() => undefined);
    const c = track(client({ timeoutMs: 150, maxRetries: 1 }));
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toBe(`Could not reach ${new URL(srv.url).host}: no response within 0.2s (after 2 attempts)`);
    expect(srv.requests).toHaveLength(2);
  });

  it("times out a body that trickles forever", async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(" ")), 20);
    });
    const c = track(client({ timeoutMs: 200, maxRetries: 0 }));
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    await srv.close();
    expect(err.code).toBe("UNREACHABLE");
  });

  it("reports a refused connection as UNREACHABLE", async () => {
    const srv = await serve(() => undefined);
    await srv.close();
    const c = track(client({ maxRetries: 1 }));
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toMatch(/^Could not reach 127\.0\.0\.1:\d+: connection refused/);
  });

  it("aborts the in-flight request when the signal fires", async () => {
    const srv = await serve(() => undefined);
    const c = track(client({ timeoutMs: 30_000 }));
    const ac = new AbortController();
    const p = c.getJson(`${srv.url}/x`, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.sockets.size).toBe(1);
    const t0 = Date.now();
    ac.abort();
    const err = await rejection(p);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(err.code).toBe("CANCELLED");
    // The socket was torn down, not left waiting for the response.
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.sockets.size).toBe(0);
    await srv.close();
  });

  it("stops waiting for a backoff when cancelled", async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    const srv = await serve((_req, res) => {
      json(res, 503, {}, { "retry-after": "30" });
      // Cancel while the client sits in its 30 s backoff.
      setTimeout(() => ((abortedAt = Date.now()), ac.abort()), 150);
    });
    const c = track(client());
    const err = await rejection(c.getJson(`${srv.url}/x`, { signal: ac.signal }));
    await srv.close();
    expect(err.code).toBe("CANCELLED");
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(srv.requests).toHaveLength(1);
  });

  it("refuses private hosts unless allowed, and plain http when https is required", async () => {
    const srv = await serve((_req, res) => json(res, 200, {}));
    const guarded = track(client({ deps: makeDeps({ allowPrivateHosts: false }) }));
    const e1 = await rejection(guarded.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    expect(e1.code).toBe("HOST_NOT_ALLOWED");
    const e2 = await rejection(guarded.getJson(`http://localhost:${new URL(srv.url).port}/x`, { signal: new AbortController().signal }));
    expect(e2.code).toBe("HOST_NOT_ALLOWED");
    const e3 = await rejection(guarded.getJson("http://169.254.169.254/latest/meta-data", { signal: new AbortController().signal }));
    expect(e3.code).toBe("HOST_NOT_ALLOWED");
    const httpsOnly = track(client({ deps: makeDeps({ requireHttps: true }) }));
    const e4 = await rejection(httpsOnly.getJson(`${srv.url}/x`, { signal: new AbortController().signal }));
    expect(e4.code).toBe("HOST_NOT_ALLOWED");
    expect(e4.message).toMatch(/must use https/);
    await srv.close();
    expect(srv.requests).toHaveLength(0);
  });

  it("posts a form without calling authorize, with the caller's headers", async () => {
    const srv = await serve((_req, res) => json(res, 200, { access_token: "abc", expires_in: 3600 }));
    const authorize = jest.fn(() => ({}));
    const c = track(client({ authorize }));
    const out = await c.postForm<{ access_token: string }>(`${srv.url}/token`, { grant_type: "client_credentials", scope: "a b" }, { headers: { Authorization: "Basic eDp5" } });
    await srv.close();
    expect(out.body.access_token).toBe("abc");
    expect(authorize).not.toHaveBeenCalled();
    expect(srv.requests[0].body).toBe("grant_type=client_credentials&scope=a%20b");
    expect(srv.requests[0].headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(srv.requests[0].headers.authorization).toBe("Basic eDp5");
  });

  it("logs requests and retries without credentials", async () => {
    const deps = makeDeps();
    const srv = await serve((_req, res, n) => (n === 1 ? json(res, 500, { error: "boom" }) : json(res, 200, {})));
    const c = track(client({ deps, authorize: () => ({ Authorization: 'OAuth oauth_signature="SIGNATURE-XYZ"' }) }));
    await c.getJson(`${srv.url}/x`, { signal: new AbortController().signal, query: { limit: 1 } });
    await srv.close();
    const text = JSON.stringify(deps.lines);
    expect(deps.lines.some((l) => l.level === "warn" && l.message === "sis http retry" && l.meta?.status === 500)).toBe(true);
    expect(deps.lines.some((l) => l.message === "sis http response" && l.meta?.providerId === "prov-1")).toBe(true);
    expect(text).not.toContain("SIGNATURE-XYZ");
    expect(text).not.toContain("oauth_signature");
  });

  it("caps a never-ending listing with a clear error", () => {
    const c = track(client({ maxPages: 3 }));
    const guard = c.pageGuard("users");
    guard.next();
    guard.next();
    guard.next();
    expect(() => guard.next()).toThrow("Test SIS kept returning pages of users after 3 pages; stopping (paging never ended)");
  });

  describe("request-rate limit", () => {
    it("spaces requests to the limit per window without Redis", async () => {
      const srv = await serve((_req, res) => json(res, 200, {}));
      const c = track(client({ rateLimit: { limit: 3, windowMs: 1_000 } }));
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 5 }, () => c.getJson(`${srv.url}/x`, { signal: new AbortController().signal })));
      const took = Date.now() - t0;
      await srv.close();
      expect(srv.requests).toHaveLength(5);
      expect(took).toBeGreaterThanOrEqual(900);
    });

    it("shares one budget across clients (workers) through Redis", async () => {
      const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
      const prefix = `test:${randomUUID()}:`;
      try {
        const srv = await serve((_req, res) => json(res, 200, {}));
        const a = track(client({ deps: makeDeps({ redis, redisPrefix: prefix }), rateLimit: { limit: 4, windowMs: 1_000 } }));
        const b = track(client({ deps: makeDeps({ redis, redisPrefix: prefix, providerId: "prov-2" }), rateLimit: { limit: 4, windowMs: 1_000 } }));
        const t0 = Date.now();
        const stamps: number[] = [];
        const call = (c: SisHttpClient) => c.getJson(`${srv.url}/x`, { signal: new AbortController().signal }).then(() => stamps.push(Date.now() - t0));
        await Promise.all([call(a), call(a), call(a), call(b), call(b), call(b)]);
        await srv.close();
        stamps.sort((x, y) => x - y);
        // 4 fit in the first window (which starts at the first request, after t0); the other 2 wait
        // for the next one. Separate budgets (4 each) would have let all 6 through at once.
        expect(stamps.filter((s) => s >= 950)).toHaveLength(2);
        const keys = await redis.keys(`${prefix}*`);
        expect(keys.length).toBe(1);
      } finally {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      }
    });
  });
});
