import { ConnectorError } from "@sis-sync/roster";
import { cleverApiUrl, cleverPages, nextCursor, readCleverMap, type CleverGetJson } from "./clever-paging";

interface Call {
  url: string;
  query: Record<string, string | number> | undefined;
}

/** A fake Clever list of ids `r0001..rNNNN`, paged like the real API (ascending ids, `starting_after`). */
function fakeClever(count: number, opts: { emptyTrailingNext?: boolean; repeatLastOnNextPage?: boolean } = {}) {
  const ids = Array.from({ length: count }, (_, i) => `r${String(i + 1).padStart(4, "0")}`);
  const calls: Call[] = [];
  const getJson: CleverGetJson = async (url, { query }) => {
    calls.push({ url, query });
    const limit = Number(query?.limit ?? 100);
    const after = query?.starting_after as string | undefined;
    let start = after ? ids.indexOf(after) + 1 : 0;
    if (opts.repeatLastOnNextPage && after) start -= 1;
    const page = ids.slice(start, start + limit);
    const end = start + page.length;
    const links = [{ rel: "self", uri: `/v3.0/users?limit=${limit}` }];
    if (end < ids.length || (opts.emptyTrailingNext && page.length > 0)) {
      links.push({ rel: "next", uri: `/v3.0/users?limit=${limit}&starting_after=${page[page.length - 1]}` });
    }
    return { body: { data: page.map((id) => ({ data: { id, name: { first: id } } })), links } };
  };
  return { getJson, calls, ids };
}

async function collect<T>(gen: AsyncGenerator<T[], number, void>): Promise<{ pages: T[][]; total: number }> {
  const pages: T[][] = [];
  for (;;) {
    const step = await gen.next();
    if (step.done) return { pages, total: step.value };
    pages.push(step.value);
  }
}

const signal = () => new AbortController().signal;

describe("cleverPages", () => {
  it("follows starting_after cursors across pages and stops when there is no next link", async () => {
    const fake = fakeClever(25);
    const { pages, total } = await collect(cleverPages<{ id: string }>(fake.getJson, "users", { baseUrl: "http://sis.test/", limit: 10, signal: signal() }));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat().map((r) => r.id)).toEqual(fake.ids);
    expect(total).toBe(25);
    expect(fake.calls).toEqual([
      { url: "http://sis.test/v3.0/users", query: { limit: 10 } },
      { url: "http://sis.test/v3.0/users", query: { limit: 10, starting_after: "r0010" } },
      { url: "http://sis.test/v3.0/users", query: { limit: 10, starting_after: "r0020" } },
    ]);
  });

  it("stops on an empty page even when Clever still sends a next link", async () => {
    const fake = fakeClever(20, { emptyTrailingNext: true });
    const { pages } = await collect(cleverPages<{ id: string }>(fake.getJson, "users", { baseUrl: "http://sis.test", limit: 10, signal: signal() }));
    expect(pages.map((p) => p.length)).toEqual([10, 10]);
    expect(fake.calls).toHaveLength(3);
  });

  it("drops a record repeated from the previous page", async () => {
    const fake = fakeClever(12, { repeatLastOnNextPage: true });
    const { pages, total } = await collect(cleverPages<{ id: string }>(fake.getJson, "users", { baseUrl: "http://sis.test", limit: 5, signal: signal() }));
    expect(pages.flat().map((r) => r.id)).toEqual(fake.ids);
    expect(total).toBe(12);
  });

  it("caps the page size at Clever's 10000 and defaults nothing else", async () => {
    const fake = fakeClever(3);
    await collect(cleverPages(fake.getJson, "schools", { baseUrl: "https://api.clever.com", limit: 50_000, signal: signal() }));
    expect(fake.calls[0]).toEqual({ url: "https://api.clever.com/v3.0/schools", query: { limit: 10_000 } });
  });

  it("fails with BAD_RESPONSE when a 200 has no data list, rather than reading an empty roster", async () => {
    const getJson: CleverGetJson = async () => ({ body: { message: "oops" } });
    await expect(collect(cleverPages(getJson, "sections", { baseUrl: "http://x", limit: 5, signal: signal() }))).rejects.toMatchObject({
      code: "BAD_RESPONSE",
      message: "Clever answered /v3.0/sections without a data list",
    });
  });

  it("fails when the cursor does not advance instead of looping forever", async () => {
    const getJson: CleverGetJson = async () => ({ body: { data: [{ data: { id: "a" } }], links: [{ rel: "next", uri: "/v3.0/users?starting_after=a" }] } });
    await expect(collect(cleverPages(getJson, "users", { baseUrl: "http://x", limit: 1, signal: signal() }))).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });

  it("stops between pages with CANCELLED once the signal aborts", async () => {
    const fake = fakeClever(30);
    const ac = new AbortController();
    const gen = cleverPages<{ id: string }>(fake.getJson, "users", { baseUrl: "http://x", limit: 10, signal: ac.signal });
    await gen.next();
    ac.abort();
    const err = await gen.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe("CANCELLED");
    expect(fake.calls).toHaveLength(1);
  });

  it("accepts bare records without the per-item data wrapper", async () => {
    const getJson: CleverGetJson = async () => ({ body: { data: [{ id: "a" }, { id: "b" }], links: [] } });
    const { pages } = await collect(cleverPages<{ id: string }>(getJson, "terms", { baseUrl: "http://x", limit: 5, signal: signal() }));
    expect(pages).toEqual([[{ id: "a" }, { id: "b" }]]);
  });
});

describe("readCleverMap", () => {
  it("reads every page into a map by id", async () => {
    const fake = fakeClever(7);
    const map = await readCleverMap<{ id: string }>(fake.getJson, "terms", { baseUrl: "http://x", limit: 3, signal: signal() });
    expect([...map.keys()]).toEqual(fake.ids);
  });
});

describe("nextCursor / cleverApiUrl", () => {
  it("takes starting_after from the next link, or the last id when the link has none", () => {
    expect(nextCursor([{ rel: "self", uri: "/v3.0/users" }], "z")).toBeNull();
    expect(nextCursor([{ rel: "next", uri: "/v3.0/users?limit=5&starting_after=abc" }], "z")).toBe("abc");
    expect(nextCursor([{ rel: "next", uri: "/v3.0/users?limit=5" }], "z")).toBe("z");
  });

  it("keeps a base URL's path prefix", () => {
    expect(cleverApiUrl("http://proxy.test/clever/", "/sections")).toBe("http://proxy.test/clever/v3.0/sections");
  });
});
