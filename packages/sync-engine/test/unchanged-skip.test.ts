import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { UnchangedRecords } from "../src/unchanged-records";
import { page } from "./helpers/district-connector";
import { connectorOf, countRows, createProvider, kindStats, runSync, tenantIds, type TestProvider } from "./helpers/sync-harness";

/**
 * Full runs skip staging the records whose fingerprint matches their active link (issue #4):
 * these tests pin that the roster, the stats and the record errors are what staging everything
 * would give, in the cases where "present in the export" matters.
 */
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const connector = connectorOf;
const tenant = tenantIds("tenant-skip");

const schools = page.schools({ externalId: "s1" }, { externalId: "s2" });
const classes = page.classes({ externalId: "c1", schoolExternalId: "s1" }, { externalId: "c2", schoolExternalId: "s2" });
const users = page.users({ externalId: "u1", email: "u1@d.org" }, { externalId: "u2", email: "u2@d.org" }, { externalId: "t1", role: "teacher", email: "t1@d.org" });
const enrollments = page.enrollments(
  { classExternalId: "c1", userExternalId: "u1" },
  { classExternalId: "c1", userExternalId: "t1", role: "teacher" },
  { classExternalId: "c2", userExternalId: "u2" },
);
const district = [schools, classes, users, enrollments];

async function stagedRows(runId: string): Promise<number> {
  let total = 0;
  for (const t of ["sis_raw_schools", "sis_raw_classes", "sis_raw_users", "sis_raw_enrollments"]) total += await countRows(tdb, t, "run_id = $1", [runId]);
  return total;
}

async function statuses(tenantId: string, table: string, sources: string): Promise<string[]> {
  const { rows } = await tdb.pool.query<{ x: string }>(
    `select s.external_id || ':' || e.status || '/' || s.status || (case when s.record_fp is null then '/nofp' else '' end) as x
       from ${table} e join ${sources} s on s.entity_id = e.id where e.tenant_id = $1 order by s.external_id`,
    [tenantId],
  );
  return rows.map((r) => r.x);
}

async function firstSync(): Promise<TestProvider> {
  const p = await createProvider(tdb, tenant());
  const first = await runSync(tdb, p, connector(...district));
  expect(first.status).toBe("SUCCESS");
  expect(await stagedRows(first.runId)).toBe(2 + 2 + 3 + 3);
  return p;
}

describe("skipping unchanged records", () => {
  it("stages nothing for a no-change re-sync, yet counts every record and reports progress", async () => {
    const p = await firstSync();
    const again = await runSync(tdb, p, connector(...district));
    expect(again.status).toBe("SUCCESS");
    expect(again.stats).toEqual({ schools: kindStats(0, 0, 0, 2), classes: kindStats(0, 0, 0, 2), users: kindStats(0, 0, 0, 3), enrollments: kindStats(0, 0, 0, 3) });
    expect(await stagedRows(again.runId)).toBe(0);
    expect(await countRows(tdb, "sis_raw_unseen", "run_id = $1", [again.runId])).toBe(0);
    expect(again.progress).toEqual({ schools: 2, classes: 2, users: 3, enrollments: 3 });
  });

  it("stages only what changed and deactivates only what is gone", async () => {
    const p = await firstSync();
    const res = await runSync(
      tdb,
      p,
      connector(schools, classes, page.users({ externalId: "u1", email: "u1@d.org", familyName: "Renamed" }, { externalId: "u2", email: "u2@d.org" }, { externalId: "t1", role: "teacher", email: "t1@d.org" }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" }, { classExternalId: "c1", userExternalId: "t1", role: "teacher" })),
      { force: true },
    );
    expect(res.stats.users).toEqual(kindStats(0, 1, 0, 2));
    expect(res.stats.enrollments).toEqual(kindStats(0, 0, 1, 2));
    expect(await stagedRows(res.runId)).toBe(1);
    expect(await statuses(p.tenantId, "roster_enrollments", "roster_enrollment_sources")).toEqual(["c1:t1:active/active", "c1:u1:active/active", "c2:u2:inactive/inactive"]);
  });

  it("treats a kind missing from the export as gone (mass-removal guard applies)", async () => {
    const p = await firstSync();
    const guarded = await runSync(tdb, p, connector(schools, classes, users));
    expect(guarded.status).toBe("FAILURE");
    expect(guarded.errorMessage).toMatch(/enrollments/);
    const forced = await runSync(tdb, p, connector(schools, classes, users), { force: true });
    expect(forced.stats.enrollments).toEqual(kindStats(0, 0, 3, 0));
    expect(forced.stats.users).toEqual(kindStats(0, 0, 0, 3));
  });

  it("re-activates an unchanged enrollment whose class went away and came back", async () => {
    const p = await firstSync();
    // c2 leaves (its enrollment c2:u2 is still exported): the class goes inactive, its enrollment with it.
    const gone = await runSync(tdb, p, connector(schools, page.classes({ externalId: "c1", schoolExternalId: "s1" }), users, enrollments), { force: true });
    expect(gone.stats.classes).toEqual(kindStats(0, 0, 1, 1));
    expect(gone.stats.enrollments).toEqual(kindStats(0, 0, 1, 2, 1));
    expect(await statuses(p.tenantId, "roster_enrollments", "roster_enrollment_sources")).toContain("c2:u2:inactive/active/nofp");
    const back = await runSync(tdb, p, connector(...district));
    expect(back.stats.classes).toEqual(kindStats(0, 1, 0, 1));
    expect(back.stats.enrollments).toEqual(kindStats(0, 1, 0, 2));
    expect(await statuses(p.tenantId, "roster_enrollments", "roster_enrollment_sources")).toEqual(["c1:t1:active/active", "c1:u1:active/active", "c2:u2:active/active"]);
    const steady = await runSync(tdb, p, connector(...district));
    expect(await stagedRows(steady.runId)).toBe(0);
  });

  it("reports an unchanged record whose parent left the export, as a staged one would be", async () => {
    const p = await firstSync();
    // s2 leaves but its class c2 (unchanged) is still exported.
    const res = await runSync(tdb, p, connector(page.schools({ externalId: "s1" }), ...district.slice(1)), { force: true });
    expect(res.status).toBe("PARTIAL");
    expect(res.stats.schools).toEqual(kindStats(0, 0, 1, 1));
    expect(res.stats.classes).toEqual(kindStats(0, 0, 0, 1, 1));
    const { rows } = await tdb.pool.query("select entity_type, external_id, message from sis_run_errors where run_id = $1 order by id", [res.runId]);
    expect(rows).toEqual([{ entity_type: "class", external_id: "c2", message: 'Unknown school "s2" (not in this export, or rejected)' }]);
  });

  it("flags a second copy of a record, whether the copies are identical or one of them changed", async () => {
    const p = await firstSync();
    const res = await runSync(
      tdb,
      p,
      connector(
        schools,
        classes,
        page.users(
          { externalId: "u1", email: "u1@d.org" },
          { externalId: "u1", email: "u1@d.org" },
          { externalId: "u2", email: "u2@d.org", familyName: "Changed" },
          { externalId: "u2", email: "u2@d.org" },
          { externalId: "t1", role: "teacher", email: "t1@d.org" },
        ),
        enrollments,
      ),
    );
    expect(res.status).toBe("PARTIAL");
    expect(res.stats.users).toEqual(kindStats(0, 0, 0, 3, 2));
    const { rows } = await tdb.pool.query("select external_id, message from sis_run_errors where run_id = $1 order by external_id", [res.runId]);
    expect(rows).toEqual([
      { external_id: "u1", message: "Duplicate external id in this export (an identical copy came earlier)" },
      { external_id: "u2", message: "Duplicate external id in this export (an identical copy was seen unchanged)" },
    ]);
  });

  it("refreshes the stored fingerprint when a record is re-spelled but normalises the same", async () => {
    const p = await firstSync();
    const respelled = page.users({ externalId: "u1", email: "  u1@d.org " }, { externalId: "u2", email: "u2@d.org" }, { externalId: "t1", role: "teacher", email: "t1@d.org" });
    const first = await runSync(tdb, p, connector(schools, classes, respelled, enrollments));
    expect(first.stats.users).toEqual(kindStats(0, 0, 0, 3));
    expect(await countRows(tdb, "sis_raw_users", "run_id = $1", [first.runId])).toBe(1);
    const second = await runSync(tdb, p, connector(schools, classes, respelled, enrollments));
    expect(second.stats.users).toEqual(kindStats(0, 0, 0, 3));
    expect(await stagedRows(second.runId)).toBe(0);
  });

  it("does not skip in a dry run's aftermath: a dry run writes no fingerprints", async () => {
    const p = await createProvider(tdb, tenant());
    const dry = await runSync(tdb, p, connector(...district), { dryRun: true });
    expect(dry.stats.users).toEqual(kindStats(3, 0, 0, 0));
    const real = await runSync(tdb, p, connector(...district));
    expect(real.stats.users).toEqual(kindStats(3, 0, 0, 0));
    expect(await stagedRows(real.runId)).toBe(10);
  });

  it("stops loading fingerprints in the background once the extract is abandoned", async () => {
    const p = await firstSync();
    // A pool whose connection answers slowly and counts the fingerprint pages it is asked for.
    let pages = 0;
    let released = false;
    let firstPage!: () => void;
    const asked = new Promise<void>((r) => (firstPage = r));
    const slowPool = {
      async connect() {
        const real = await tdb.pool.connect();
        return {
          query: async (text: string, values: unknown[]) => {
            pages++;
            firstPage();
            await new Promise((r) => setTimeout(r, 100));
            return real.query(text, values);
          },
          release: (e?: unknown) => {
            released = true;
            real.release(e as Error | undefined);
          },
        };
      },
    };
    const own = await tdb.pool.connect();
    const unchanged = new UnchangedRecords(own, "00000000-0000-7000-8000-000000000000", p.id);
    unchanged.start(slowPool as never);
    await asked;
    unchanged.discard();
    for (let i = 0; i < 50 && !released; i++) await new Promise((r) => setTimeout(r, 20));
    own.release();
    expect(released).toBe(true);
    // The page in flight when the extract stopped, not the three kinds after it.
    expect(pages).toBe(1);
  });
});
