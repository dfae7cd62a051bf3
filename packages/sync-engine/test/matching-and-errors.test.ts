import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { ConnectorError, type ExtractBatch } from "@sis-sync/roster";
import { page, pagesConnector } from "./helpers/district-connector";
import { connectorOf, countRows, createProvider, kindStats, rosterSnapshot, runSync, tenantIds } from "./helpers/sync-harness";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const connector = connectorOf;
const tenant = tenantIds("tenant-m");

async function usersOf(tenantId: string) {
  const { rows } = await tdb.pool.query(
    `select u.id, u.status, u.email, u.family_name,
            (select json_agg(json_build_object('p', s.provider_id, 'x', s.external_id, 's', s.status) order by s.external_id)
               from roster_user_sources s where s.entity_id = u.id) as sources
       from roster_users u where u.tenant_id = $1 order by u.family_name`,
    [tenantId],
  );
  return rows;
}

const school = page.schools({ externalId: "s1" });
const klass = page.classes({ externalId: "c1", schoolExternalId: "s1" });

describe("user matching across providers of a tenant", () => {
  it("matches a student without email by student number", async () => {
    const t = tenant();
    const a = await createProvider(tdb, t);
    const b = await createProvider(tdb, t);
    await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", studentNumber: "S100", familyName: "Kim" })));
    const res = await runSync(tdb, b, connector(page.schools({ externalId: "x1" }), page.users({ externalId: "b-9", studentNumber: "S100", familyName: "Kim" })));
    // Same fields: the existing user gains a source and is otherwise unchanged.
    expect(res.stats.users).toEqual(kindStats(0, 0, 0, 1));
    const users = await usersOf(t);
    expect(users).toHaveLength(1);
    expect(users[0].sources.map((s: { x: string }) => s.x)).toEqual(["a-1", "b-9"]);
  });

  it("matches by email case-insensitively and keeps one user for a person in two providers", async () => {
    const t = tenant();
    const a = await createProvider(tdb, t);
    const b = await createProvider(tdb, t);
    await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", role: "teacher", email: "Pat.Lee@District.org", familyName: "Lee" })));
    const res = await runSync(tdb, b, connector(school, page.users({ externalId: "b-1", role: "teacher", email: "pat.lee@district.org", familyName: "Lee" })));
    expect(res.stats.users).toEqual(kindStats(0, 1, 0, 0)); // the email's spelling is b's now
    const users = await usersOf(t);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ status: "active", email: "pat.lee@district.org" });
    // Re-running either provider is a no-op (no ping-pong between the two spellings).
    expect((await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", role: "teacher", email: "Pat.Lee@District.org", familyName: "Lee" })))).stats.users).toEqual(
      kindStats(0, 0, 0, 1),
    );
    expect((await runSync(tdb, b, connector(school, page.users({ externalId: "b-1", role: "teacher", email: "pat.lee@district.org", familyName: "Lee" })))).stats.users).toEqual(
      kindStats(0, 0, 0, 1),
    );
  });

  it("keeps a person active while another provider still has them, and deactivates them when none does", async () => {
    const t = tenant();
    const a = await createProvider(tdb, t);
    const b = await createProvider(tdb, t);
    const people = (prefix: string) =>
      page.users(...Array.from({ length: 10 }, (_, i) => ({ externalId: `${prefix}-${i}`, email: `kid${i}@d.org`, familyName: `K${i}` })));
    await runSync(tdb, a, connector(school, people("a")));
    await runSync(tdb, b, connector(school, people("b")));
    expect(await usersOf(t)).toHaveLength(10);

    const nine = page.users(...Array.from({ length: 9 }, (_, i) => ({ externalId: `a-${i + 1}`, email: `kid${i + 1}@d.org`, familyName: `K${i + 1}` })));
    const dropA = await runSync(tdb, a, connector(school, nine));
    expect(dropA.stats.users).toEqual(kindStats(0, 0, 0, 9));
    let kid0 = (await usersOf(t)).find((u) => u.family_name === "K0");
    expect(kid0.status).toBe("active");
    expect(kid0.sources.map((s: { x: string; s: string }) => `${s.x}:${s.s}`)).toEqual(["a-0:inactive", "b-0:active"]);

    const nineB = page.users(...Array.from({ length: 9 }, (_, i) => ({ externalId: `b-${i + 1}`, email: `kid${i + 1}@d.org`, familyName: `K${i + 1}` })));
    const dropB = await runSync(tdb, b, connector(school, nineB));
    expect(dropB.stats.users).toEqual(kindStats(0, 0, 1, 9));
    kid0 = (await usersOf(t)).find((u) => u.family_name === "K0");
    expect(kid0.status).toBe("inactive");

    // Coming back re-activates the same user (counted as updated).
    const back = await runSync(tdb, a, connector(school, people("a")));
    expect(back.stats.users).toEqual(kindStats(0, 1, 0, 9));
    kid0 = (await usersOf(t)).find((u) => u.family_name === "K0");
    expect(kid0.status).toBe("active");
    expect(await usersOf(t)).toHaveLength(10);
  });

  it("does not guess when two users share an email, and respects createUsers: false", async () => {
    const t = tenant();
    const a = await createProvider(tdb, t);
    // Two users of one tenant end up with one email: a-2 changes its email to a-1's (an update of a
    // linked user does not go through matching).
    await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", email: "twin@d.org", familyName: "One" }, { externalId: "a-2", email: "two@d.org", familyName: "Two" })));
    await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", email: "twin@d.org", familyName: "One" }, { externalId: "a-2", email: "Twin@d.org", familyName: "Two" })));
    const b = await createProvider(tdb, t, { createUsers: false });
    const res = await runSync(tdb, b, connector(school, page.users({ externalId: "b-1", email: "twin@d.org" }, { externalId: "b-2", email: "new@d.org" })));
    expect(res.status).toBe("PARTIAL");
    expect(res.stats.users).toEqual(kindStats(0, 0, 0, 0, 2));
    const { rows } = await tdb.pool.query("select entity_type, external_id, message from sis_run_errors where run_id = $1 order by id", [res.runId]);
    expect(rows).toEqual([
      { entity_type: "user", external_id: "b-1", message: "Ambiguous match: 2 users in this tenant have this email; not loaded" },
      { entity_type: "user", external_id: "b-2", message: "No existing user matches by email or student number, and the provider's createUsers option is off" },
    ]);
    expect(await usersOf(t)).toHaveLength(2);
  });
});

describe("one email on two new records of one export", () => {
  it("creates the first, makes the later ones record errors, and matches neither to the other", async () => {
    const t = tenant();
    const a = await createProvider(tdb, t);
    const res = await runSync(
      tdb,
      a,
      connector(
        school,
        page.users(
          { externalId: "a-1", email: "twin@d.org", familyName: "One" },
          { externalId: "a-2", email: " Twin@D.org ", familyName: "Two" },
          { externalId: "a-3", email: "solo@d.org", familyName: "Solo" },
          { externalId: "a-4", email: "TWIN@d.org", familyName: "Four" },
        ),
      ),
    );
    expect(res.status).toBe("PARTIAL");
    expect(res.stats.users).toEqual(kindStats(2, 0, 0, 0, 2));
    const { rows } = await tdb.pool.query("select external_id, message from sis_run_errors where run_id = $1 order by id", [res.runId]);
    expect(rows).toEqual([
      { external_id: "a-2", message: 'Email "Twin@D.org" is also on record 1 of this export (external id "a-1"); one email cannot be two people, not loaded' },
      { external_id: "a-4", message: 'Email "TWIN@d.org" is also on record 1 of this export (external id "a-1"); one email cannot be two people, not loaded' },
    ]);
    expect((await usersOf(t)).map((u) => u.family_name).sort()).toEqual(["One", "Solo"]);

    // The next export without the clash loads a-2 as its own person once it has its own email.
    const fixed = await runSync(tdb, a, connector(school, page.users({ externalId: "a-1", email: "twin@d.org", familyName: "One" }, { externalId: "a-2", email: "two@d.org", familyName: "Two" }, { externalId: "a-3", email: "solo@d.org", familyName: "Solo" })));
    expect(fixed.status).toBe("SUCCESS");
    expect(fixed.stats.users).toEqual(kindStats(1, 0, 0, 2));
  });
});

describe("record errors", () => {
  it("ends PARTIAL, lists each bad record once and loads the rest", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t);
    const users: ExtractBatch = {
      ...page.users({ externalId: "u1" }, { externalId: "u2" }, { externalId: "u1", familyName: "Dup" }, { externalId: "  " }),
      rejected: [{ externalId: "u9", message: "Row 12: givenName is required", raw: { line: 12 } }],
    };
    const res = await runSync(
      tdb,
      p,
      connector(
        school,
        klass,
        users,
        page.enrollments({ classExternalId: "c1", userExternalId: "u1" }, { classExternalId: "c404", userExternalId: "u2" }, { classExternalId: "c1", userExternalId: "u9" }),
      ),
    );
    expect(res.status).toBe("PARTIAL");
    expect(res.stats).toEqual({
      schools: kindStats(1),
      classes: kindStats(1),
      users: kindStats(2, 0, 0, 0, 3),
      enrollments: kindStats(1, 0, 0, 0, 2),
    });
    const { rows } = await tdb.pool.query("select entity_type, external_id, message from sis_run_errors where run_id = $1 order by id", [res.runId]);
    expect(rows).toEqual([
      { entity_type: "user", external_id: "u1", message: "Duplicate external id in this export (first seen as record 1)" },
      { entity_type: "user", external_id: null, message: "Record has no external id" },
      { entity_type: "user", external_id: "u9", message: "Row 12: givenName is required" },
      { entity_type: "enrollment", external_id: "c404:u2", message: 'Unknown class "c404" (not in this export, or rejected)' },
      { entity_type: "enrollment", external_id: "c1:u9", message: 'Unknown user "u9" (not in this export, or rejected)' },
    ]);
    const { rows: u1 } = await tdb.pool.query("select family_name from roster_users where tenant_id = $1 order by family_name", [t]);
    expect(u1.map((r) => r.family_name)).toEqual(["Family u1", "Family u2"]);
    // The staging rows keep the raw JSON and the processing flag.
    const { rows: raw } = await tdb.pool.query("select raw, error from sis_raw_users where run_id = $1 and external_id = 'u9'", [res.runId]);
    expect(raw).toEqual([{ raw: { line: 12 }, error: "Row 12: givenName is required" }]);
  });

  it("ends FAILURE with the connector's message and writes nothing when the source fails", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t);
    const before = await rosterSnapshot(tdb);
    const failing = pagesConnector(() => [school, page.users({ externalId: "u1" })], {
      beforePage: (i) => {
        if (i === 1) throw new ConnectorError("UNREACHABLE", "The SIS did not answer after 5 attempts");
      },
    });
    const res = await runSync(tdb, p, failing);
    expect(res).toMatchObject({ status: "FAILURE", errorMessage: "The SIS did not answer after 5 attempts" });
    expect(await rosterSnapshot(tdb)).toEqual(before);
  });
});

describe("deletions", () => {
  it("treats records marked deleted as absent in a full sync", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t, { maxDeactivationRatio: 1 });
    await runSync(tdb, p, connector(school, klass, page.users({ externalId: "u1" }, { externalId: "u2" }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" }, { classExternalId: "c1", userExternalId: "u2" })));
    const res = await runSync(
      tdb,
      p,
      connector(school, klass, page.users({ externalId: "u1" }, { externalId: "u2", deleted: true }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" })),
    );
    expect(res.stats.users).toEqual(kindStats(0, 0, 1, 1));
    expect(res.stats.enrollments).toEqual(kindStats(0, 0, 1, 1));
    expect(await countRows(tdb, "roster_users", "tenant_id = $1 and status = 'inactive'", [t])).toBe(1);
  });

  it("deactivates only explicit deletions in a delta export", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t, { maxDeactivationRatio: 1 });
    await runSync(tdb, p, connector(school, klass, page.users({ externalId: "u1" }, { externalId: "u2" }, { externalId: "u3" }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" })));
    const delta = pagesConnector(() => [page.users({ externalId: "u2", deleted: true }, { externalId: "u4" }), page.enrollments({ classExternalId: "c1", userExternalId: "u4" })], {
      result: { nextCursor: "cursor-2", isDelta: true },
    });
    const res = await runSync(tdb, p, delta);
    expect(res).toMatchObject({ status: "SUCCESS", nextCursor: "cursor-2" });
    expect(res.stats.users).toEqual(kindStats(1, 0, 1, 0));
    expect(res.stats.enrollments).toEqual(kindStats(1, 0, 0, 0));
    expect(res.stats.schools).toEqual(kindStats());
    expect(await countRows(tdb, "roster_users", "tenant_id = $1 and status = 'active'", [t])).toBe(3);
  });

  it("guards a delta's deletions against the links active before the run, not the ones it adds", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t); // maxDeactivationRatio 0.2
    const users = (ids: number[], extra: object = {}) => ids.map((i) => ({ externalId: `u${i}`, ...extra }));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    await runSync(tdb, p, connector(school, page.users(...users(range(1, 10)))));
    const delta = (...pages: ExtractBatch[]) => pagesConnector(() => pages, { result: { nextCursor: "next", isDelta: true } });

    // 2 of 10 is 20 %: allowed.
    const ok = await runSync(tdb, p, delta(page.users(...users([1, 2], { deleted: true }), ...users([11]))));
    expect(ok.status).toBe("SUCCESS");
    expect(ok.stats.users).toEqual(kindStats(1, 0, 2, 0));

    // 3 of the 9 active before is over 20 %, however many users the same delta adds.
    const before = await rosterSnapshot(tdb);
    const over = await runSync(tdb, p, delta(page.users(...users([3, 4, 5], { deleted: true }), ...users(range(12, 40)))));
    expect(over.status).toBe("FAILURE");
    expect(over.errorMessage).toContain("it would deactivate 3 of 9 active users");
    expect(await rosterSnapshot(tdb)).toEqual(before);

    const forced = await runSync(tdb, p, delta(page.users(...users([3, 4, 5], { deleted: true }), ...users(range(12, 40)))), { force: true });
    expect(forced.status).toBe("SUCCESS");
    expect(forced.stats.users).toEqual(kindStats(29, 0, 3, 0));
    expect(await countRows(tdb, "roster_users", "tenant_id = $1 and status = 'active'", [t])).toBe(35);
  });

  it("deactivates nothing by absence in an incremental run, unless the source fell back to a full read", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t, { maxDeactivationRatio: 1 });
    await runSync(tdb, p, connector(school, page.users({ externalId: "u1" }, { externalId: "u2" })));
    const changesOnly = pagesConnector(() => [page.users({ externalId: "u2", familyName: "Renamed" })], { result: { nextCursor: "c3" } });
    const inc = await runSync(tdb, p, changesOnly, { mode: "incremental" });
    expect(inc.stats.users).toEqual(kindStats(0, 1, 0, 0));
    expect(inc.stats.schools).toEqual(kindStats());
    expect(await countRows(tdb, "roster_users", "tenant_id = $1 and status = 'active'", [t])).toBe(2);
    const fullFallback = pagesConnector(() => [school, page.users({ externalId: "u2", familyName: "Renamed" })], { result: { nextCursor: "c4", fellBackToFull: true } });
    const fb = await runSync(tdb, p, fullFallback, { mode: "incremental" });
    expect(fb.stats.users).toEqual(kindStats(0, 0, 1, 1));
  });

  it("cascades to the enrollments of a deactivated class", async () => {
    const t = tenant();
    const p = await createProvider(tdb, t, { maxDeactivationRatio: 1 });
    const c2 = page.classes({ externalId: "c1", schoolExternalId: "s1" }, { externalId: "c2", schoolExternalId: "s1" });
    await runSync(tdb, p, connector(school, c2, page.users({ externalId: "u1" }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" }, { classExternalId: "c2", userExternalId: "u1" })));
    // The export still lists the enrollment of the dropped class: it is a record error, and the class's enrollments go inactive.
    const res = await runSync(tdb, p, connector(school, klass, page.users({ externalId: "u1" }), page.enrollments({ classExternalId: "c1", userExternalId: "u1" }, { classExternalId: "c2", userExternalId: "u1" })));
    expect(res.status).toBe("PARTIAL");
    expect(res.stats.classes).toEqual(kindStats(0, 0, 1, 1));
    expect(res.stats.enrollments).toEqual(kindStats(0, 0, 1, 1, 1));
  });
});

describe("roster references (checked by the load, not by foreign keys)", () => {
  it("fails the run and writes nothing when a link points at an entity that does not exist", async () => {
    const p = await createProvider(tdb, tenant());
    const users = page.users({ externalId: "u1", email: "u1@d.org" });
    const first = await runSync(tdb, p, connector(school, klass, users));
    expect(first.status).toBe("SUCCESS");
    // A damaged roster (a restore gone wrong, a hand edit): the class's link leads nowhere.
    await tdb.pool.query("update roster_class_sources set entity_id = '00000000-0000-7000-8000-000000000001' where provider_id = $1 and external_id = 'c1'", [p.id]);
    const before = await rosterSnapshot(tdb);
    await expect(runSync(tdb, p, connector(school, klass, users, page.enrollments({ classExternalId: "c1", userExternalId: "u1" })))).rejects.toThrow(
      'Roster integrity check failed: enrollments record "c1:u1" would reference a class that does not exist; nothing was written',
    );
    expect(await rosterSnapshot(tdb)).toEqual(before);
    expect(await countRows(tdb, "roster_enrollments", "tenant_id = $1", [p.tenantId])).toBe(0);
  });
});
