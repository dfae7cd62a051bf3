import { ConnectorError } from "@sis-sync/roster";
import type { SisHttpClient } from "../http";

/** OneRoster 1.1 §3.1: the service root is `/ims/oneroster` and the version segment `/v1p1`. */
export const ONEROSTER_V1P1_PATH = "/ims/oneroster/v1p1";

/**
 * The service root from a configured base URL: kept as given when it already names an
 * `/ims/oneroster/...` root (a v1p1 or v1p2 path), otherwise `/ims/oneroster/v1p1` is appended.
 */
export function oneRosterRoot(baseUrl: string): string {
  const u = new URL(baseUrl);
  u.search = "";
  u.hash = "";
  const path = u.pathname.replace(/\/+$/, "");
  u.pathname = /\/ims\/oneroster(\/|$)/.test(path) ? path : `${path}${ONEROSTER_V1P1_PATH}`;
  return u.toString().replace(/\/+$/, "");
}

export interface OneRosterRecord {
  sourcedId?: unknown;
  status?: unknown;
  dateLastModified?: unknown;
  [key: string]: unknown;
}

export interface OneRosterPage {
  records: OneRosterRecord[];
  /** Records dropped because an earlier page already had their sourcedId. */
  duplicates: number;
  /** 0-based offset this page was requested at. */
  offset: number;
}

export interface ListOptions {
  signal: AbortSignal;
  /** Collection keys to accept in the envelope (servers vary: `/terms` may answer `terms` or `academicSessions`). */
  keys: string[];
  filter?: string;
}

/**
 * Reads OneRoster 1.1 collections page by page with `limit`/`offset`.
 * Termination is belt and braces (research §3.2, §5): stop on an empty page; when the server sends
 * `X-Total-Count`, read until that many positions are covered; else follow `Link: rel="next"`
 * when sent; else stop at the first page shorter than `limit`. The offset advances by `limit`, or by
 * what the page held when the server capped it below ours (read to the end when it tells us
 * the total). Duplicates across pages (unstable ordering) are dropped by sourcedId.
 */
export class OneRosterClient {
  constructor(
    private readonly http: SisHttpClient,
    private readonly root: string,
    private readonly sourceName: string,
    private readonly pageSize = 1000,
    private readonly maxTrackedIds = 1_000_000,
  ) {}

  url(path: string): string {
    return `${this.root}${path.startsWith("/") ? path : `/${path}`}`;
  }

  async getOne(path: string, key: string, signal: AbortSignal, query?: Record<string, string | number>): Promise<{ body: Record<string, unknown>; value: unknown }> {
    const res = await this.http.getJson<Record<string, unknown>>(this.url(path), { signal, query });
    if (!res.body || typeof res.body !== "object" || Array.isArray(res.body)) {
      throw new ConnectorError("BAD_RESPONSE", `${this.sourceName} answered ${path} with a body that is not a JSON object`);
    }
    return { body: res.body, value: res.body[key] };
  }

  async *list(path: string, opts: ListOptions): AsyncGenerator<OneRosterPage, { total: number; duplicates: number }, void> {
    const guard = this.http.pageGuard(path);
    const seen = new RecentIds(this.maxTrackedIds);
    let offset = 0;
    let limit = this.pageSize;
    let total = 0;
    let duplicates = 0;
    for (;;) {
      if (opts.signal.aborted) throw new ConnectorError("CANCELLED", `Cancelled while reading ${path}`);
      guard.next();
      const query: Record<string, string | number> = { limit, offset };
      if (opts.filter) query.filter = opts.filter;
      const res = await this.http.getJson<Record<string, unknown>>(this.url(path), { signal: opts.signal, query });
      const body = res.body;
      const key = body && typeof body === "object" && !Array.isArray(body) ? opts.keys.find((k) => Array.isArray(body[k])) : undefined;
      if (!key) {
        // A 200 without the collection is a failure, never an empty roster (research §5).
        const got = body && typeof body === "object" && !Array.isArray(body) ? Object.keys(body).slice(0, 5).join(", ") || "an empty object" : typeof body;
        throw new ConnectorError("BAD_RESPONSE", `${this.sourceName} answered ${path} without a "${opts.keys[0]}" list (got ${got})`);
      }
      const items = body[key] as unknown[];
      const records: OneRosterRecord[] = [];
      let pageDuplicates = 0;
      for (const item of items) {
        const rec = (item && typeof item === "object" && !Array.isArray(item) ? item : { value: item }) as OneRosterRecord;
        const id = typeof rec.sourcedId === "string" ? rec.sourcedId : null;
        if (id !== null) {
          if (seen.has(id)) {
            pageDuplicates++;
            continue;
          }
          seen.add(id);
        }
        records.push(rec);
      }
      duplicates += pageDuplicates;
      total += records.length;
      if (records.length > 0 || pageDuplicates > 0) yield { records, duplicates: pageDuplicates, offset };

      const n = items.length;
      if (n === 0) break;
      const totalCount = parseTotal(res.headers["x-total-count"]);
      const next = nextLink(res.headers.link);
      // Advance by what was asked for, or by less when the server capped the page; a page longer
      // than asked (a record repeated from the page before) must not push the offset past records.
      const covered = offset + Math.min(n, limit);
      if (totalCount !== null) {
        if (covered >= totalCount) break;
      } else if (next) {
        // Follow the server's paging numbers, but only forwards (a `next` that loops is ignored).
        if (next.offset !== null && next.offset > offset) {
          offset = next.offset;
          if (next.limit !== null && next.limit > 0) limit = next.limit;
          continue;
        }
        if (n < limit) break;
      } else if (n < limit) {
        break;
      }
      offset = covered;
    }
    return { total, duplicates };
  }
}

function parseTotal(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value.trim());
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** `Link: <…?limit=100&offset=200>; rel="next", …` (RFC 8288) → its offset and limit. */
export function nextLink(header: string | undefined): { offset: number | null; limit: number | null } | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (!m || !/\brel\s*=\s*"?([^"]*\s)?next(\s[^"]*)?"?/i.test(m[2])) continue;
    try {
      const u = new URL(m[1], "http://x");
      const num = (k: string) => {
        const v = u.searchParams.get(k);
        return v !== null && /^\d+$/.test(v) ? Number(v) : null;
      };
      return { offset: num("offset"), limit: num("limit") };
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * sourcedIds seen so far, for dropping repeats across pages. Every id is remembered up to `max`;
 * beyond that (millions of enrollments) the oldest half is forgotten generation by generation, so
 * memory stays bounded while the repeats offset paging actually produces — records shifted across
 * a nearby page boundary — are still caught.
 */
export class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly max = 1_000_000) {}

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  add(id: string): void {
    this.current.add(id);
    if (this.current.size + this.previous.size > this.max && this.current.size >= this.max / 2) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}
