import { ConnectorError } from "@sis-sync/roster";
import type { CleverLink } from "./clever-types";

/** Clever's documented maximum `limit`; more gives HTTP 413 (dev.clever.com/docs/paging-and-limits). */
export const CLEVER_MAX_PAGE_SIZE = 10_000;

/** The one HTTP call paging needs: the shared `SisHttpClient.getJson`, or a fake in unit tests. */
export type CleverGetJson = (
  url: string,
  opts: { signal: AbortSignal; query?: Record<string, string | number> },
) => Promise<{ body: unknown; status?: number }>;

export interface CleverPagingOptions {
  /** Origin (and optional path prefix) of the Data API, e.g. https://api.clever.com. */
  baseUrl: string;
  limit: number;
  signal: AbortSignal;
  /** Counts pages and throws past a cap (`SisHttpClient.pageGuard`): a last defence against endless paging. */
  guard?: { next(): number };
  /** Start after this id (the Events API cursor) instead of at the beginning. */
  startingAfter?: string | null;
}

export function cleverApiUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/v3.0/${path.replace(/^\/+/, "")}`;
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
}

/** Unwraps `{ data: [{ data: {…} }] }`; a 200 without the envelope is a failure, never an empty roster. */
export function unwrapCleverList<T>(body: unknown, path: string): { items: T[]; links: CleverLink[] } {
  const envelope = body as { data?: unknown; links?: unknown } | null;
  if (envelope == null || typeof envelope !== "object" || !Array.isArray(envelope.data)) {
    throw new ConnectorError("BAD_RESPONSE", `Clever answered /v3.0/${path} without a data list`);
  }
  const items = envelope.data.map((item: unknown) => {
    const inner = (item as { data?: unknown } | null)?.data;
    // v3 wraps each record as { data: {…} }; tolerate a bare record too (v1/v2-style feeds).
    const record = inner !== undefined ? inner : item;
    if (record == null || typeof record !== "object") {
      throw new ConnectorError("BAD_RESPONSE", `Clever answered /v3.0/${path} with a malformed record`);
    }
    return record as T;
  });
  const links = Array.isArray(envelope.links) ? (envelope.links as CleverLink[]) : [];
  return { items, links };
}

/**
 * The `starting_after` cursor for the page after this one, or null when Clever says there
 * is none. We keep only the cursor from the `next` link and rebuild the URL ourselves, so a
 * base URL with a path prefix and our own `limit` survive (next links are relative `/v3.0/…`).
 */
export function nextCursor(links: CleverLink[], lastId: string | undefined): string | null {
  const next = links.find((l) => l?.rel === "next" && typeof l.uri === "string");
  if (!next) return null;
  const fromLink = new URL(next.uri, "http://clever.invalid").searchParams.get("starting_after");
  return fromLink ?? lastId ?? null;
}

/**
 * Reads a Clever list page by page with `starting_after` cursors (ascending id order) and
 * yields each page's records. Stops when a page has no `next` link or is empty (Clever may
 * emit a `next` link that leads to an empty page). Records repeated from the previous page
 * or within a page are dropped, so a flaky page boundary never doubles a record.
 */
export async function* cleverPages<T extends { id: string }>(
  getJson: CleverGetJson,
  path: string,
  options: CleverPagingOptions,
): AsyncGenerator<T[], number, void> {
  const url = cleverApiUrl(options.baseUrl, path);
  const limit = Math.min(Math.max(1, Math.floor(options.limit)), CLEVER_MAX_PAGE_SIZE);
  let cursor: string | null = options.startingAfter ?? null;
  let previousIds = new Set<string>();
  let total = 0;
  for (;;) {
    throwIfCancelled(options.signal);
    options.guard?.next();
    const query: Record<string, string | number> = { limit };
    if (cursor) query.starting_after = cursor;
    const { body } = await getJson(url, { signal: options.signal, query });
    const { items, links } = unwrapCleverList<T>(body, path);
    if (items.length === 0) return total;

    const pageIds = new Set<string>();
    const fresh: T[] = [];
    for (const item of items) {
      const id = typeof item.id === "string" ? item.id : undefined;
      if (id !== undefined && (previousIds.has(id) || pageIds.has(id))) continue;
      if (id !== undefined) pageIds.add(id);
      fresh.push(item);
    }
    total += fresh.length;
    throwIfCancelled(options.signal);
    if (fresh.length > 0) yield fresh;

    const lastId = [...items].reverse().find((i) => typeof i.id === "string")?.id;
    const next = nextCursor(links, lastId);
    if (next === null) return total;
    if (next === cursor) {
      throw new ConnectorError("BAD_RESPONSE", `Clever paging of /v3.0/${path} did not advance past ${next}`);
    }
    cursor = next;
    previousIds = pageIds;
  }
}

/** Reads a small list (terms, courses) completely into a map by id. */
export async function readCleverMap<T extends { id: string }>(
  getJson: CleverGetJson,
  path: string,
  options: CleverPagingOptions,
): Promise<Map<string, T>> {
  const map = new Map<string, T>();
  for await (const page of cleverPages<T>(getJson, path, options)) {
    for (const item of page) if (typeof item.id === "string") map.set(item.id, item);
  }
  return map;
}
