import http from "node:http";
import https from "node:https";
import axios, { AxiosError, AxiosHeaders, type AxiosInstance, type AxiosResponse, type InternalAxiosRequestConfig } from "axios";
import axiosRetry, { exponentialDelay } from "axios-retry";
import { ConnectorError } from "@sis-sync/roster";
import { redactString } from "@sis-sync/logger";
import type { ConnectorDeps } from "../connector-deps";
import { assertHostAllowed, guardedLookup } from "../net/host-guard";
import { cancelledError } from "./abortable-sleep";
import { DEFAULT_MAX_PAGES, PageGuard } from "./page-guard";
import { buildUrl, describeUrl, encodeRfc3986 } from "./rfc3986";
import { SharedRateLimiter } from "./shared-rate-limiter";

export interface SisHttpClientOptions {
  deps: ConnectorDeps;
  /** For messages: "Clever", "OneRoster server", "ClassLink". */
  sourceName: string;
  /**
   * Request budget shared by all workers via Redis (in memory when `deps.redis` is null).
   * `key` defaults to the SIS host, so providers on one host share it; pass e.g. the provider id
   * when the SIS limits per token (Clever: 1200/min per bearer token).
   */
  rateLimit?: { limit: number; windowMs: number; key?: string };
  /** Per attempt, connect + headers + body. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 5xx (not 501) and 429. Default 5. */
  maxRetries?: number;
  /** Cap for Retry-After / X-RateLimit-Reset waits and for backoff. Default 60 000. */
  maxRetryWaitMs?: number;
  /** Base of the exponential backoff (2^n × base, +0–20 % jitter). Default 500; tests lower it. */
  retryBaseDelayMs?: number;
  /** Pages per collection before `pageGuard` stops a never-ending listing. Default 100 000. */
  maxPages?: number;
  /** Auth headers for this exact URL (query included, encoded as it goes on the wire). Called per attempt. */
  authorize(req: { method: "GET" | "POST"; url: string }): Promise<Record<string, string>> | Record<string, string>;
  /** On 401: refresh credentials; true → the request is retried once. */
  onUnauthorized?(): Promise<boolean>;
}

export interface SisJsonResponse<T> {
  body: T;
  headers: Record<string, string>;
  status: number;
  /** The URL requested, query included. */
  url: string;
}

/** Per-request state carried through axios and axios-retry (a class instance, so axios's config merge keeps it by reference). */
class RequestState {
  attempt = 0;
  attemptSignal: AbortSignal | undefined;
  constructor(
    readonly userSignal: AbortSignal | undefined,
    readonly authorize: boolean,
    readonly method: "GET" | "POST",
  ) {}
}

type SisRequestConfig = InternalAxiosRequestConfig & { sisState?: RequestState };

/** A ConnectorError from an HTTP answer, with the status so callers can tell "not implemented here" (404) apart. */
export class SisHttpError extends ConnectorError {
  constructor(
    code: ConnectorError["code"],
    message: string,
    readonly status: number,
  ) {
    super(code, message);
    this.name = "SisHttpError";
  }
}

/** Codes for which a retry cannot help (refused host, bad URL, redirects, oversized body). */
const NON_RETRYABLE_CODES = new Set(["EHOSTNOTALLOWED", "ENOTFOUND", "ERR_INVALID_URL", "ERR_BAD_OPTION", "ERR_BAD_OPTION_VALUE", "ERR_NOT_SUPPORT", "ERR_FR_TOO_MANY_REDIRECTS", "ERR_BAD_REQUEST"]);

/** An answer with an error status; a 2xx that failed was cut off mid-body (a transport failure). */
function errorStatus(error: AxiosError): number | null {
  const s = error.response?.status;
  return s !== undefined && (s < 200 || s >= 300) ? s : null;
}

const isOversized = (error: AxiosError) => /maxContentLength/.test(error.message);

/**
 * The one HTTP client for SIS APIs (OneRoster REST, ClassLink, Clever): timeouts per attempt,
 * retries with exponential backoff + jitter (axios-retry) on network errors / 5xx / 429 with
 * Retry-After or X-RateLimit-Reset honoured (capped), a fleet-wide request budget, cancellation
 * that aborts in-flight requests, the outbound host guard, and log lines free of credentials.
 */
export class SisHttpClient {
  private readonly axios: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly retryBaseDelayMs: number;
  private readonly maxPages: number;
  private readonly limiters = new Map<string, SharedRateLimiter>();
  private readonly allowedHosts = new Map<string, Promise<void>>();

  constructor(private readonly options: SisHttpClientOptions) {
    const { deps } = options;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const lookup = guardedLookup({ allowPrivateHosts: deps.allowPrivateHosts }) as unknown as http.AgentOptions["lookup"];
    this.httpAgent = new http.Agent({ keepAlive: true, lookup });
    this.httpsAgent = new https.Agent({ keepAlive: true, lookup });
    this.axios = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // A redirect would escape the signed URL and the host check; SIS APIs don't redirect.
      maxRedirects: 0,
      // Parse ourselves, so a non-JSON body is a clear BAD_RESPONSE and not a string in disguise.
      responseType: "text",
      transformResponse: [(data: unknown) => data],
      maxContentLength: 256 * 1024 * 1024,
      proxy: false,
    });

    this.axios.interceptors.request.use(async (config: SisRequestConfig) => {
      const state = config.sisState;
      if (!state) return config;
      state.attempt += 1;
      const url = config.url ?? "";
      const { host, path } = describeUrl(url);
      if (state.userSignal?.aborted) throw cancelledError(`requesting ${host}`);
      await this.checkHost(url);
      await this.limiterFor(host).acquire(state.userSignal);
      if (state.authorize) {
        const auth = await this.options.authorize({ method: state.method, url });
        const headers = AxiosHeaders.from(config.headers);
        for (const [k, v] of Object.entries(auth)) headers.set(k, v);
        config.headers = headers;
      }
      // A fresh deadline per attempt covers connect, headers and a slow body alike
      // (axios's own `timeout` is a socket idle timer that a trickling body never trips).
      const deadline = AbortSignal.timeout(this.timeoutMs);
      state.attemptSignal = state.userSignal ? AbortSignal.any([state.userSignal, deadline]) : deadline;
      config.signal = state.attemptSignal;
      this.options.deps.logger.debug("sis http request", { providerId: deps.providerId, source: options.sourceName, method: state.method, host, path, attempt: state.attempt });
      return config;
    });

    axiosRetry(this.axios, {
      retries: this.maxRetries,
      shouldResetTimeout: true,
      retryCondition: (error) => this.isRetryable(error),
      retryDelay: (retryCount, error) => this.retryDelayMs(retryCount, error),
      onRetry: (retryCount, error, config) => {
        const state = (config as SisRequestConfig).sisState;
        // Back to the caller's own signal: the backoff wait must end on cancel, not on the spent deadline.
        config.signal = state?.userSignal;
        const { host, path } = describeUrl(config.url ?? "");
        this.options.deps.logger.warn("sis http retry", {
          providerId: deps.providerId,
          source: options.sourceName,
          host,
          path,
          retry: retryCount,
          status: errorStatus(error) ?? undefined,
          reason: errorStatus(error) !== null ? undefined : this.networkReason(error, state),
        });
      },
    });
  }

  /** A counter that throws a clear error once a collection's pages exceed the configured cap. */
  pageGuard(collection: string): PageGuard {
    return new PageGuard(this.options.sourceName, collection, this.maxPages);
  }

  async getJson<T = unknown>(url: string, opts: { signal: AbortSignal; query?: Record<string, string | number> }): Promise<SisJsonResponse<T>> {
    const fullUrl = buildUrl(url, opts.query);
    let refreshed = false;
    for (;;) {
      const res = await this.send("GET", fullUrl, { signal: opts.signal, authorize: true, headers: { Accept: "application/json" } }).catch(async (e: unknown) => {
        if (!refreshed && this.options.onUnauthorized && e instanceof AxiosError && e.response?.status === 401 && !opts.signal.aborted) {
          refreshed = true;
          if (await this.options.onUnauthorized()) return null;
        }
        throw this.toConnectorError(e, fullUrl, opts.signal);
      });
      if (res === null) continue;
      return { body: this.parseJson<T>(res, fullUrl), headers: flattenHeaders(res), status: res.status, url: fullUrl };
    }
  }

  async postForm<T = unknown>(url: string, form: Record<string, string>, opts: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<{ body: T; headers: Record<string, string>; status: number }> {
    const body = Object.entries(form)
      .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
      .join("&");
    const res = await this.send("POST", url, {
      signal: opts.signal,
      authorize: false,
      data: body,
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", ...opts.headers },
    }).catch((e: unknown) => {
      throw this.toConnectorError(e, url, opts.signal);
    });
    return { body: this.parseJson<T>(res, url), headers: flattenHeaders(res), status: res.status };
  }

  /** Frees pooled sockets; call when the connector is done. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private send(method: "GET" | "POST", url: string, o: { signal?: AbortSignal; authorize: boolean; data?: string; headers: Record<string, string> }): Promise<AxiosResponse<string>> {
    if (o.signal?.aborted) return Promise.reject(cancelledError(`requesting ${describeUrl(url).host}`));
    const started = Date.now();
    const state = new RequestState(o.signal, o.authorize, method);
    const config = { method, url, data: o.data, headers: o.headers, sisState: state } as SisRequestConfig;
    return this.axios.request<string>(config).then((res) => {
      const { host, path } = describeUrl(url);
      this.options.deps.logger.debug("sis http response", { providerId: this.options.deps.providerId, source: this.options.sourceName, method, host, path, status: res.status, attempts: state.attempt, durationMs: Date.now() - started });
      return res;
    });
  }

  private checkHost(url: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return Promise.reject(new ConnectorError("CONFIG", `${this.options.sourceName} URL is not valid`));
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") return Promise.reject(new ConnectorError("HOST_NOT_ALLOWED", `Only http(s) URLs are allowed, not ${u.protocol}`));
    if (this.options.deps.requireHttps && u.protocol !== "https:") {
      return Promise.reject(new ConnectorError("HOST_NOT_ALLOWED", `${this.options.sourceName} URL must use https (${u.host})`));
    }
    // IP literals never pass through the agents' lookup, so they are checked here; hostnames are
    // checked here once and again by the guarded lookup on every connection (DNS rebinding).
    let check = this.allowedHosts.get(u.hostname);
    if (!check) {
      check = assertHostAllowed(u.hostname, { allowPrivateHosts: this.options.deps.allowPrivateHosts });
      this.allowedHosts.set(u.hostname, check);
      check.catch(() => this.allowedHosts.delete(u.hostname));
    }
    return check;
  }

  private limiterFor(host: string): { acquire(signal: AbortSignal | undefined): Promise<void> } {
    const rl = this.options.rateLimit;
    if (!rl) return { acquire: async () => undefined };
    const key = rl.key ?? host;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new SharedRateLimiter({ redis: this.options.deps.redis, prefix: this.options.deps.redisPrefix, key, limit: rl.limit, windowMs: rl.windowMs });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }

  private isRetryable(error: AxiosError): boolean {
    const state = (error.config as SisRequestConfig | undefined)?.sisState;
    if (!state || state.userSignal?.aborted) return false;
    const s = errorStatus(error);
    if (s !== null) return s === 429 || (s >= 500 && s <= 599 && s !== 501);
    if (isOversized(error)) return false;
    return !NON_RETRYABLE_CODES.has(error.code ?? "");
  }

  /** Retry-After (seconds or HTTP date) or X-RateLimit-Reset (Unix time, Clever) when sent, else 2^n × base with jitter; capped. */
  private retryDelayMs(retryCount: number, error: AxiosError): number {
    // Clever sends X-RateLimit-Reset on every response: it is a wait only on a 429, and
    // Retry-After only means something on 429/503; other failures back off exponentially.
    const status = error.response?.status;
    const hinted =
      status === 429 || status === 503
        ? hintedWaitMs(error.response?.headers as Record<string, unknown> | undefined, Date.now(), { rateLimitReset: status === 429 })
        : null;
    if (hinted !== null) return Math.min(hinted, this.maxRetryWaitMs) + Math.random() * 100;
    return Math.min(exponentialDelay(retryCount - 1, undefined, this.retryBaseDelayMs), this.maxRetryWaitMs);
  }

  private networkReason(error: unknown, state: RequestState | undefined): string {
    if (state?.attemptSignal?.aborted && !state.userSignal?.aborted) return `no response within ${Math.round(this.timeoutMs / 100) / 10}s`;
    const code = (error as { code?: string }).code;
    if ((error as AxiosError).response) return "connection dropped mid-response";
    switch (code) {
      case "ECONNREFUSED":
        return "connection refused";
      case "ECONNRESET":
        return "connection reset";
      case "ENOTFOUND":
        return "host not found";
      case "EAI_AGAIN":
        return "DNS lookup failed";
      case "ETIMEDOUT":
      case "ECONNABORTED":
        return "connection timed out";
      case "CERT_HAS_EXPIRED":
      case "DEPTH_ZERO_SELF_SIGNED_CERT":
      case "SELF_SIGNED_CERT_IN_CHAIN":
      case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
      case "ERR_TLS_CERT_ALTNAME_INVALID":
        return `TLS certificate not accepted (${code})`;
      default:
        return code ?? redactString((error as Error).message ?? "unknown error");
    }
  }

  private toConnectorError(e: unknown, url: string, userSignal: AbortSignal | undefined): ConnectorError {
    const { host, path } = describeUrl(url);
    if (userSignal?.aborted) return cancelledError(`requesting ${host}`);
    if (e instanceof ConnectorError) return e;
    if (!(e instanceof AxiosError)) return new ConnectorError("UNREACHABLE", `Could not reach ${host}: ${redactString(String((e as Error)?.message ?? e))}`, { cause: e });
    const state = (e.config as SisRequestConfig | undefined)?.sisState;
    const attempts = state?.attempt ?? 1;
    const res = errorStatus(e) === null ? undefined : e.response;
    if (!res) {
      if (isOversized(e)) return new ConnectorError("BAD_RESPONSE", `${this.options.sourceName} at ${host} sent a response larger than we accept for ${path}`);
      const inner = e.cause as unknown;
      if (e.code === "EHOSTNOTALLOWED" || inner instanceof ConnectorError) {
        return inner instanceof ConnectorError ? inner : new ConnectorError("HOST_NOT_ALLOWED", `Refusing to connect to ${host}`);
      }
      const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
      return new ConnectorError("UNREACHABLE", `Could not reach ${host}: ${this.networkReason(e, state)}${tries}`);
    }
    const detail = serverDetail(res.data);
    const suffix = detail ? ` (${detail})` : "";
    const s = res.status;
    if (s === 401 || s === 403) return new SisHttpError("AUTH_FAILED", `Authentication failed: ${s} from ${host}${suffix}`, s);
    if (s === 429) return new SisHttpError("RATE_LIMITED", `Rate limited by ${host}: still 429 after ${attempts} attempts`, s);
    if (s >= 500) return new SisHttpError("UNREACHABLE", `Could not reach ${host}: ${s} ${res.statusText || "server error"} after ${attempts} attempts${suffix}`, s);
    if (s >= 300 && s < 400) return new SisHttpError("BAD_RESPONSE", `${this.options.sourceName} at ${host} answered ${s} (redirect) for ${path}; check the base URL`, s);
    return new SisHttpError("BAD_RESPONSE", `${this.options.sourceName} at ${host} answered ${s} for ${path}${suffix}`, s);
  }

  private parseJson<T>(res: AxiosResponse<string>, url: string): T {
    const { host, path } = describeUrl(url);
    const text = typeof res.data === "string" ? res.data : String(res.data ?? "");
    try {
      return JSON.parse(text) as T;
    } catch {
      const type = String(res.headers["content-type"] ?? "no content type");
      throw new ConnectorError("BAD_RESPONSE", `${this.options.sourceName} at ${host} sent a response that is not JSON for ${path} (${res.status}, ${type.split(";")[0]})`);
    }
  }
}

function flattenHeaders(res: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = res.headers instanceof AxiosHeaders ? res.headers.toJSON() : (res.headers as Record<string, unknown>);
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

/** Milliseconds the server asked us to wait, or null when it did not say. */
export function hintedWaitMs(headers: Record<string, unknown> | undefined, now = Date.now(), { rateLimitReset = true } = {}): number | null {
  if (!headers) return null;
  const get = (name: string): string | undefined => {
    const h = headers instanceof AxiosHeaders ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
    return h === undefined || h === null ? undefined : String(h);
  };
  const retryAfter = get("retry-after");
  if (retryAfter !== undefined && retryAfter.trim() !== "") {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = rateLimitReset ? get("x-ratelimit-reset") : undefined;
  if (reset !== undefined && reset.trim() !== "") {
    const n = Number(reset);
    if (Number.isFinite(n)) {
      // Clever sends a Unix timestamp in seconds; tolerate milliseconds and small "seconds from now" values.
      if (n > 1e12) return Math.max(0, n - now);
      if (n > 1e9) return Math.max(0, n * 1000 - now);
      return Math.max(0, n * 1000);
    }
  }
  return null;
}

/** A short, credential-free description from an error body (OneRoster imsx status info, OAuth `error`, Clever `error`). */
function serverDetail(data: unknown): string | null {
  if (typeof data !== "string" || data.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  const pick = (o: unknown): string | null => {
    if (!o || typeof o !== "object") return null;
    const r = o as Record<string, unknown>;
    for (const k of ["imsx_description", "error_description", "message", "error", "description"]) {
      if (typeof r[k] === "string" && r[k]) return r[k] as string;
    }
    const set = r.statusInfoSet ?? r.imsx_statusInfo;
    if (Array.isArray(set)) return pick(set[0]);
    if (set && typeof set === "object") return pick(set);
    return null;
  };
  const found = pick(parsed);
  if (!found) return null;
  // "OAuth 1.0a: invalid signature" names a protocol, not a credential: keep it readable.
  const guarded = found.replace(/\bOAuth (1\.0a?|2\.0)\b/gi, "OAuth\u0000$1");
  return redactString(guarded).replace(/OAuth\u0000/g, "OAuth ").slice(0, 200);
}
