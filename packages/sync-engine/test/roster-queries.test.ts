import { sisSyncRuns } from "@sis-sync/db";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { eq } from "drizzle-orm";
import { listRosterEntities, pruneStaging } from "../src";
import { page, pagesConnector } from "./helpers/district-connector";
import { countRows, createProvider, runSync, type TestProvider } from "./helpers/sync-harness";

let tdb: TestDatabase;
let a: TestProvider;
let b: TestProvider;
let firstRunId: string;
const T = "tenant-q";

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await createProvider(tdb, T, { maxDeactivationRatio: 1 });
  b = await createProvider(tdb, T);
  const first = await runSync(
    tdb,
    a,
    pagesConnector(() => [
      page.schools({ externalId: "s1", name: "Lincoln High", schoolNumber: "101", ncesId: "0601" }),
      page.classes({ externalId: "c1", schoolExternalId: "s1", title: "Algebra I", classCode: "ALG1", subject: "math", period: "2", termName: "Fall 2025" }),
      page.users(
        { externalId: "t1", role: "teacher", givenName: "Ana", familyName: "Ruiz", email: "Ana.Ruiz@D.org", username: "aruiz" },
        { externalId: "k1", role: "student", givenName: "Ben", familyName: "Ode", email: null, studentNumber: "S1", grades: ["9"] },
        { externalId: "k2", role: "student", givenName: "Cy", familyName: "Pak", email: "cy@d.org" },
      ),
      page.enrollments(
        { classExternalId: "c1", userExternalId: "t1", role: "teacher", primary: true, beginDate: "2025-08-20", endDate: "2026-01-15" },
        { classExternalId: "c1", userExternalId: "k1" },
      ),
    ]),
  );
  firstRunId = first.runId;
  await runSync(tdb, b, pagesConnector(() => [page.users({ externalId: "B-T1", role: "teacher", givenName: "Ana", familyName: "Ruiz", email: "Ana.Ruiz@D.org", username: "aruiz" })]));
  // k2 leaves provider a: inactive.
  await runSync(
    tdb,
    a,
    pagesConnector(() => [
      page.schools({ externalId: "s1", name: "Lincoln High", schoolNumber: "101", ncesId: "0601" }),
      page.classes({ externalId: "c1", schoolExternalId: "s1", title: "Algebra I", classCode: "ALG1", subject: "math", period: "2", termName: "Fall 2025" }),
      page.users(
        { externalId: "t1", role: "teacher", givenName: "Ana", familyName: "Ruiz", email: "Ana.Ruiz@D.org", username: "aruiz" },
        { externalId: "k1", role: "student", givenName: "Ben", familyName: "Ode", email: null, studentNumber: "S1", grades: ["9"] },
      ),
      page.enrollments(
        { classExternalId: "c1", userExternalId: "t1", role: "teacher", primary: true, beginDate: "2025-08-20", endDate: "2026-01-15" },
        { classExternalId: "c1", userExternalId: "k1" },
      ),
    ]),
  );
});
afterAll(async () => {
  await tdb.drop();
});

const all = { tenantId: T, limit: 50, offset: 0 };
const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("listRosterEntities", () => {
  it("returns schools and classes in the api.md shape", async () => {
    const schools = await listRosterEntities(tdb.db, "schools", all);
    expect(schools.total).toBe(1);
    const s = schools.data[0];
    expect(s).toEqual({
      id: expect.any(String),
      tenantId: T,
      status: "active",
      sources: [{ providerId: a.id, externalId: "s1" }],
      updatedAt: expect.stringMatching(iso),
      name: "Lincoln High",
      schoolNumber: "101",
      ncesId: "0601",
    });
    const classes = await listRosterEntities(tdb.db, "classes", all);
    expect(classes.data).toEqual([
      {
        id: expect.any(String),
        tenantId: T,
        status: "active",
        sources: [{ providerId: a.id, externalId: "c1" }],
        updatedAt: expect.stringMatching(iso),
        schoolId: s.id,
        title: "Algebra I",
        classCode: "ALG1",
        subject: "math",
        period: "2",
        termName: "Fall 2025",
      },
    ]);
  });

  it("returns one user per person with every source, and filters by email, role, status and provider", async () => {
    const users = await listRosterEntities(tdb.db, "users", all);
    expect(users.total).toBe(3);
    const ana = users.data.find((u) => u.familyName === "Ruiz")!;
    expect(ana).toEqual({
      id: expect.any(String),
      tenantId: T,
      status: "active",
      sources: [
        { providerId: a.id, externalId: "t1" },
        { providerId: b.id, externalId: "B-T1" },
      ],
      updatedAt: expect.stringMatching(iso),
      role: "teacher",
      givenName: "Ana",
      familyName: "Ruiz",
      email: "Ana.Ruiz@D.org",
      username: "aruiz",
      studentNumber: null,
      grades: [],
    });
    expect((await listRosterEntities(tdb.db, "users", { ...all, email: "ana.ruiz@d.ORG" })).data.map((u) => u.id)).toEqual([ana.id]);
    expect((await listRosterEntities(tdb.db, "users", { ...all, role: "student" })).data.map((u) => u.familyName).sort()).toEqual(["Ode", "Pak"]);
    const inactive = await listRosterEntities(tdb.db, "users", { ...all, status: "inactive" });
    expect(inactive.data.map((u) => [u.familyName, u.status])).toEqual([["Pak", "inactive"]]);
    expect((await listRosterEntities(tdb.db, "users", { ...all, providerId: b.id })).total).toBe(1);
    expect((await listRosterEntities(tdb.db, "users", { ...all, providerId: a.id, externalId: "k1" })).data[0]).toMatchObject({ studentNumber: "S1", grades: ["09"] });
    expect((await listRosterEntities(tdb.db, "users", { ...all, tenantId: "other" })).total).toBe(0);
  });

  it("returns enrollments with dates as YYYY-MM-DD and pages with a stable order", async () => {
    const enr = await listRosterEntities(tdb.db, "enrollments", { ...all, externalId: "c1:t1" });
    expect(enr.data).toEqual([
      expect.objectContaining({ role: "teacher", primary: true, beginDate: "2025-08-20", endDate: "2026-01-15", sources: [{ providerId: a.id, externalId: "c1:t1" }] }),
    ]);
    const p1 = await listRosterEntities(tdb.db, "users", { ...all, limit: 2, offset: 0 });
    const p2 = await listRosterEntities(tdb.db, "users", { ...all, limit: 2, offset: 2 });
    expect(p1.total).toBe(3);
    expect(p1.data).toHaveLength(2);
    expect(p2.data).toHaveLength(1);
    expect(new Set([...p1.data, ...p2.data].map((u) => u.id)).size).toBe(3);
  });
});

describe("pruneStaging", () => {
  it("removes the staging rows of finished runs older than the retention and keeps recent ones", async () => {
    const before = await countRows(tdb, "sis_raw_users", "run_id = $1", [firstRunId]);
    expect(before).toBe(3);
    await tdb.db.update(sisSyncRuns).set({ createdAt: new Date(Date.now() - 10 * 86_400_000) }).where(eq(sisSyncRuns.id, firstRunId));
    const removed = await pruneStaging(tdb.db, { olderThanDays: 7 });
    expect(removed).toBe(1 + 1 + 3 + 2);
    expect(await countRows(tdb, "sis_raw_users", "run_id = $1", [firstRunId])).toBe(0);
    // Provider b's run staged its one user; a's re-sync staged none (both users came unchanged and were skipped).
    expect(await countRows(tdb, "sis_raw_users")).toBe(1 + 0);
  });
});
