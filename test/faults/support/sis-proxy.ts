import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxyReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface SisProxyHooks {
  /** Answer a request here instead of forwarding it (n counts every request, from 1). */
  intercept?(req: { method: string; path: string; query: URLSearchParams; n: number; authorization: string | undefined }): ProxyReply | undefined;
  /** Rewrite a forwarded JSON answer. */
  transform?(path: string, body: Record<string, unknown>, query: URLSearchParams): Record<string, unknown>;
  /** Drop X-Total-Count and Link from answers (a server that never says where the list ends). */
  hidePaging?: boolean;
}

export interface SisProxy {
  /** Origin of the proxy, e.g. http://127.0.0.1:1234 */
  origin: string;
  hooks: SisProxyHooks;
  /** Authorization headers seen (so tests can grep for the bearer tokens too). */
  authorizations: Set<string>;
  requests: number;
  close(): Promise<void>;
}

/**
 * A hostile or unreliable SIS in front of a real simulator peer: forwards requests unchanged
 * (Host header included, so OAuth 1.0a signatures still verify) unless a hook answers or
 * rewrites them. Listens on 127.0.0.1 only.
 */
export async function startSisProxy(target: string, hooks: SisProxyHooks = {}): Promise<SisProxy> {
  const t = new URL(target);
  const sockets = new Set<import("node:net").Socket>();
  const proxy: SisProxy = { origin: "", hooks, authorizations: new Set(), requests: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const n = ++proxy.requests;
    const url = new URL(req.url ?? "/", "http://x");
    const authorization = req.headers.authorization;
    if (authorization) proxy.authorizations.add(authorization.replace(/^(Bearer|Basic)\s+/i, ""));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = proxy.hooks.intercept?.({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, n, authorization });
      if (reply) {
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(reply.body);
        return;
      }
      const upstream = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const body: Buffer[] = [];
          up.on("data", (c: Buffer) => body.push(c));
          up.on("error", () => res.destroy());
          up.on("end", () => {
            let out = Buffer.concat(body);
            const type = String(up.headers["content-type"] ?? "");
            if (proxy.hooks.transform && type.includes("json") && (up.statusCode ?? 500) < 300) {
              out = Buffer.from(JSON.stringify(proxy.hooks.transform(url.pathname, JSON.parse(out.toString()), url.searchParams)));
            }
            const headers = { ...up.headers };
            delete headers["content-length"];
            delete headers["transfer-encoding"];
            if (proxy.hooks.hidePaging) {
              delete headers["x-total-count"];
              delete headers.link;
            }
            res.writeHead(up.statusCode ?? 502, { ...headers, "content-length": String(out.length) });
            res.end(out);
          });
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** A bare HTTP server on 127.0.0.1 that answers every request with `reply` and counts hits. */
export async function startStubServer(reply: (req: http.IncomingMessage) => ProxyReply): Promise<{ origin: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    hits++;
    const r = reply(req);
    res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
    res.end(r.body);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
