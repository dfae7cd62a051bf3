import { randomUUID } from "node:crypto";
import { pruneChanges } from "@sis-sync/sync-engine";
import { startTestStack, type TestStack } from "./support/test-stack";

/**
 * Change feed retention through the API (issue #9): a reader whose cursor is older than what
 * retention removed gets a 410 problem saying so (never a page with a silent gap), readers
 * that are not behind page on as before, and a delivery whose changes are gone is not redelivered.
 */

let stack: TestStack;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = await stack.token({ roles: ["PLATFORM_ADMIN"] });
});
afterAll(async () => {
  await stack?.close();
});

const api = <T = any>(method: string, path: string) => stack.request<T>(method, path, { token: admin });

async function addChanges(tenantId: string, n: number, daysAgo: number): Promise<void> {
  await stack.db.pool.query(
    `insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, after, created_at)
     select $1, $2, $3, 'users', 'created', gen_random_uuid(), '{}'::jsonb, now() - make_interval(days => $4)
       from generate_series(1, $5::int)`,
    [tenantId, randomUUID(), randomUUID(), daysAgo, n],
  );
}

async function readFeed(tenantId: string, after = ""): Promise<{ ids: string[]; cursor: string }> {
  const ids: string[] = [];
  for (;;) {
    const page = await api("GET", `/api/v1/tenants/${tenantId}/changes?limit=3${after ? `&after=${after}` : ""}`);
    expect(page.status).toBe(200);
    ids.push(...page.body.data.map((c: { id: string }) => c.id));
    after = page.body.nextCursor;
    if (!page.body.hasMore) return { ids, cursor: after };
  }
}

describe("change feed retention", () => {
  it("answers 410 Gone to a cursor older than the pruned changes and pages on from oldestCursor", async () => {
    const tenant = "ret-a";
    await addChanges(tenant, 5, 40);
    await addChanges(tenant, 4, 2);
    const before = await readFeed(tenant);
    expect(before.ids).toHaveLength(9);
    const [, secondOld, , , lastOld, firstKept] = before.ids;

    await pruneChanges(stack.db.db, { olderThanDays: 30, batchSize: 2 });

    // A reader that stopped inside the pruned range: a clear problem, not the kept rows as if nothing was missing.
    const res = await api("GET", `/api/v1/tenants/${tenant}/changes?after=${secondOld}`);
    expect(res.status).toBe(410);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: "https://sis-sync.dev/problems/410",
      title: "Gone",
      status: 410,
      detail: expect.stringMatching(/retention has removed.*Re-read the roster from the roster routes \(GET \/api\/v1\/tenants\/ret-a\/schools.*oldestCursor/s),
      oldestCursor: lastOld,
    });

    // From oldestCursor the feed is complete; no cursor reads from the oldest change kept.
    expect((await readFeed(tenant, res.body.oldestCursor)).ids).toEqual(before.ids.slice(5));
    expect((await readFeed(tenant)).ids).toEqual(before.ids.slice(5));
    // A reader that was already past the pruned range keeps paging as before.
    expect((await readFeed(tenant, firstKept)).ids).toEqual(before.ids.slice(6));
    expect((await api("GET", `/api/v1/tenants/${tenant}/changes?after=${before.cursor}`)).body).toMatchObject({ data: [], nextCursor: before.cursor, hasMore: false, limit: 100 });
    // Another tenant's feed is untouched by this tenant's retention mark.
    await addChanges("ret-other", 2, 1);
    expect((await readFeed("ret-other", secondOld)).ids).toHaveLength(2);
  });

  it("refuses to redeliver a delivery whose changes retention removed", async () => {
    const tenant = "ret-b";
    const { rows: ep } = await stack.db.pool.query<{ id: string }>(
      `insert into webhook_endpoints (tenant_id, url, kinds, secret_encrypted, last_change_id)
       values ($1, 'http://127.0.0.1:9/hook', '{users}', 'sealed', 0) returning id`,
      [tenant],
    );
    await addChanges(tenant, 3, 40);
    const { rows: range } = await stack.db.pool.query<{ lo: string; hi: string }>("select min(id) - 1 as lo, max(id) as hi from roster_changes where tenant_id = $1", [tenant]);
    await stack.db.pool.query("update webhook_endpoints set last_change_id = $1 where id = $2", [range[0].hi, ep[0].id]);
    const { rows: d } = await stack.db.pool.query<{ id: string }>(
      `insert into webhook_deliveries (endpoint_id, tenant_id, from_change_id, to_change_id, change_count, status, attempts)
       values ($1, $2, $3, $4, 3, 'DEAD', 5) returning id`,
      [ep[0].id, tenant, range[0].lo, range[0].hi],
    );

    expect((await pruneChanges(stack.db.db, { olderThanDays: 30 })).removed).toBe(3);

    const res = await api("POST", `/api/v1/tenants/${tenant}/webhooks/${ep[0].id}/deliveries/${d[0].id}/redeliver`);
    expect(res.status).toBe(410);
    expect(res.body.detail).toMatch(/3 of this delivery's 3 changes were removed by the change feed's retention/);
    const { rows } = await stack.db.pool.query("select status, attempts from webhook_deliveries where id = $1", [d[0].id]);
    expect(rows[0]).toEqual({ status: "DEAD", attempts: 5 });
  });

  it("documents the 410 in OpenAPI", async () => {
    const doc = (await stack.request("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths["/api/v1/tenants/{tenantId}/changes"].get.responses)).toContain("410");
  });
});
