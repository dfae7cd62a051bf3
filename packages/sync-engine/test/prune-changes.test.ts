import { randomUUID } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { changeFeedPrunedThrough, pruneChanges, pruneDeliveries } from "../src";

/**
 * Change feed retention (issue #9) on the real Postgres: only changes older than the retention go,
 * in batches; changes a webhook still has to deliver stay; the per-tenant mark the API reads for
 * its 410 is the largest id removed.
 */

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await tdb.pool.query("truncate roster_changes, roster_change_retention, webhook_deliveries, webhook_endpoints");
});

const RUN = randomUUID();
const PROVIDER = randomUUID();

/** Inserts changes `daysAgo` old for a tenant; returns their ids in order. */
async function addChanges(tenantId: string, n: number, daysAgo: number, kind = "users"): Promise<number[]> {
  const { rows } = await tdb.pool.query<{ id: string }>(
    `insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, after, created_at)
     select $1, $2, $3, $4, 'created', gen_random_uuid(), '{"givenName":"Ana"}'::jsonb, now() - make_interval(days => $5)
       from generate_series(1, $6::int)
     returning id`,
    [tenantId, RUN, PROVIDER, kind, daysAgo, n],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

async function ids(tenantId: string): Promise<number[]> {
  const { rows } = await tdb.pool.query<{ id: string }>("select id from roster_changes where tenant_id = $1 order by id", [tenantId]);
  return rows.map((r) => Number(r.id));
}

async function addEndpoint(tenantId: string, lastChangeId: number, kinds = ["schools", "classes", "users", "enrollments"], deleted = false): Promise<string> {
  const { rows } = await tdb.pool.query<{ id: string }>(
    `insert into webhook_endpoints (tenant_id, url, kinds, secret_encrypted, last_change_id, deleted_at)
     values ($1, 'http://127.0.0.1:9/hook', $2, 'sealed', $3, ${deleted ? "now()" : "null"}) returning id`,
    [tenantId, kinds, lastChangeId],
  );
  return rows[0].id;
}

async function addDelivery(endpointId: string, tenantId: string, fromId: number, toId: number, status: "PENDING" | "DELIVERED" | "DEAD"): Promise<void> {
  await tdb.pool.query(
    `insert into webhook_deliveries (endpoint_id, tenant_id, from_change_id, to_change_id, change_count, status)
     values ($1, $2, $3, $4, $5, $6)`,
    [endpointId, tenantId, fromId, toId, toId - fromId, status],
  );
}

describe("pruneChanges", () => {
  it("removes changes older than the retention in batches and keeps recent ones", async () => {
    const old = await addChanges("t-a", 23, 40);
    const edge = await addChanges("t-a", 2, 29);
    const recent = await addChanges("t-a", 5, 1);
    const otherOld = await addChanges("t-b", 4, 31);

    const r = await pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 5 });

    expect(r.removed).toBe(old.length + otherOld.length);
    // Every id up to the newest old change (t-b's, the last inserted) is walked 5 at a time:
    // never one statement for the lot.
    expect(r.batches).toBe(Math.ceil([...old, ...edge, ...recent, ...otherOld].length / 5));
    expect(await ids("t-a")).toEqual([...edge, ...recent]);
    expect(await ids("t-b")).toEqual([]);
    expect(await changeFeedPrunedThrough(tdb.db, "t-a")).toBe(old[old.length - 1]);
    expect(await changeFeedPrunedThrough(tdb.db, "t-b")).toBe(otherOld[otherOld.length - 1]);
    expect(await changeFeedPrunedThrough(tdb.db, "t-never")).toBe(0);

    // Nothing left to prune: a second pass removes nothing and leaves the marks alone.
    expect(await pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 5 })).toEqual({ removed: 0, batches: 0 });
    expect(await changeFeedPrunedThrough(tdb.db, "t-a")).toBe(old[old.length - 1]);
  });

  it("keeps everything when the retention is 0 (keep forever)", async () => {
    const old = await addChanges("t-a", 3, 400);
    expect(await pruneChanges(tdb.db, { olderThanDays: 0 })).toEqual({ removed: 0, batches: 0 });
    expect(await ids("t-a")).toEqual(old);
    expect(await changeFeedPrunedThrough(tdb.db, "t-a")).toBe(0);
  });

  it("keeps the changes of pending deliveries and those not yet cut into a delivery", async () => {
    const delivered = await addChanges("t-w", 4, 40);
    const dead = await addChanges("t-w", 3, 40);
    const pending = await addChanges("t-w", 3, 40);
    const schools = await addChanges("t-w", 2, 40, "schools");
    const usersAfterWatermark = await addChanges("t-w", 2, 40);
    const endpoint = await addEndpoint("t-w", pending[pending.length - 1], ["users"]);
    await addDelivery(endpoint, "t-w", 0, delivered[delivered.length - 1], "DELIVERED");
    await addDelivery(endpoint, "t-w", delivered[delivered.length - 1], dead[dead.length - 1], "DEAD");
    await addDelivery(endpoint, "t-w", dead[dead.length - 1], pending[pending.length - 1], "PENDING");
    // A schools-only endpoint that is up to date: its watermark does not hold other kinds back.
    await addEndpoint("t-w", Number.MAX_SAFE_INTEGER, ["schools"]);
    // A deleted endpoint and its pending delivery hold nothing (the worker dead-letters them).
    const deleted = await addEndpoint("t-w", 0, ["users"], true);
    await addDelivery(deleted, "t-w", 0, delivered[delivered.length - 1], "PENDING");

    const r = await pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 4 });

    expect(r.removed).toBe(delivered.length + dead.length + schools.length);
    expect(await ids("t-w")).toEqual([...pending, ...usersAfterWatermark]);
    // The mark is the largest id removed, even though older pending changes are still there.
    expect(await changeFeedPrunedThrough(tdb.db, "t-w")).toBe(schools[schools.length - 1]);

    // Once delivered, they go on the next pass.
    await tdb.pool.query("update webhook_deliveries set status = 'DELIVERED' where status = 'PENDING'");
    await tdb.pool.query("update webhook_endpoints set last_change_id = $1 where id = $2", [usersAfterWatermark[usersAfterWatermark.length - 1], endpoint]);
    expect((await pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 4 })).removed).toBe(pending.length + usersAfterWatermark.length);
    expect(await ids("t-w")).toEqual([]);
  });

  it("lets concurrent pruners share the work without removing anything twice or failing", async () => {
    const old = await addChanges("t-c", 60, 40);
    const recent = await addChanges("t-c", 3, 2);
    const results = await Promise.all([1, 2, 3].map(() => pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 7 })));
    expect(results.reduce((n, r) => n + r.removed, 0)).toBe(old.length);
    expect(await ids("t-c")).toEqual(recent);
    expect(await changeFeedPrunedThrough(tdb.db, "t-c")).toBe(old[old.length - 1]);
  });

  it("stops between batches when aborted", async () => {
    await addChanges("t-s", 10, 40);
    const abort = new AbortController();
    abort.abort();
    expect(await pruneChanges(tdb.db, { olderThanDays: 30, batchSize: 2, signal: abort.signal })).toEqual({ removed: 0, batches: 0 });
  });
});

describe("pruneDeliveries", () => {
  /** A delivery created `createdDaysAgo` days ago, last attempted `attemptDaysAgo` days ago (null: never). */
  async function delivery(endpointId: string, status: string, createdDaysAgo: number, attemptDaysAgo: number | null): Promise<string> {
    const { rows } = await tdb.pool.query<{ id: string }>(
      `insert into webhook_deliveries (endpoint_id, tenant_id, from_change_id, to_change_id, change_count, status, created_at, last_attempt_at)
       values ($1, 't-d', 0, 1, 1, $2, now() - make_interval(days => $3), case when $4::int is null then null else now() - make_interval(days => $4::int) end)
       returning id`,
      [endpointId, status, createdDaysAgo, attemptDaysAgo],
    );
    return rows[0].id;
  }

  it("removes finished deliveries older than the retention, in batches, and keeps pending and recent ones", async () => {
    const endpoint = await addEndpoint("t-d", 0);
    const oldFinished = [
      ...(await Promise.all(Array.from({ length: 5 }, () => delivery(endpoint, "DELIVERED", 40, 40)))),
      await delivery(endpoint, "DEAD", 45, 31),
    ];
    const kept = [
      await delivery(endpoint, "PENDING", 90, 60), // still owed to the endpoint
      await delivery(endpoint, "DELIVERED", 10, 10),
      await delivery(endpoint, "DEAD", 40, 2), // redelivered recently: its dead-letter entry stays
    ];
    expect(await pruneDeliveries(tdb.db, { olderThanDays: 30, batchSize: 2 })).toEqual({ removed: oldFinished.length });
    const { rows } = await tdb.pool.query<{ id: string }>("select id from webhook_deliveries order by id");
    expect(rows.map((r) => r.id)).toEqual([...kept].sort());
    expect(await pruneDeliveries(tdb.db, { olderThanDays: 0 })).toEqual({ removed: 0 });
  });
});
