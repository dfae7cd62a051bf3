import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { DISTRICT_SIZES, generateDistrict, mutate, type District } from "@sis-sync/sis-simulator/src/generator";
import { Client } from "pg";
import { districtConnector } from "./helpers/district-connector";
import { countRows, createProvider, kindStats, rosterSnapshot, runSync, statusCounts, withNoErrors, type TestProvider } from "./helpers/sync-harness";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const tiny = (seed: number) => generateDistrict({ ...DISTRICT_SIZES.tiny, seed });
const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });

/** A provider in its own tenant that has loaded `d` once. */
async function syncedProvider(d: District): Promise<TestProvider> {
  const p = await createProvider(tdb, `tenant-${Math.random().toString(36).slice(2, 10)}`);
  const first = await runSync(tdb, p, districtConnector(d));
  expect(first.status).toBe("SUCCESS");
  return p;
}

describe("first sync", () => {
  it("creates every entity with its source link and reports exact stats", async () => {
    const d = tiny(1);
    const p = await createProvider(tdb, "tenant-first");
    const res = await runSync(tdb, p, districtConnector(d, { pageSize: 7 }));
    const c = counts(d);
    expect(res).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(res.stats).toEqual({
      schools: kindStats(c.schools),
      classes: kindStats(c.classes),
      users: kindStats(c.users),
      enrollments: kindStats(c.enrollments),
    });
    expect(res.phases).toEqual(["extract", "stage", "load", "done"]);
    expect(res.progress).toEqual(c);
    expect(await statusCounts(tdb, "tenant-first")).toEqual({
      schools: { active: c.schools, inactive: 0 },
      classes: { active: c.classes, inactive: 0 },
      users: { active: c.users, inactive: 0 },
      enrollments: { active: c.enrollments, inactive: 0 },
    });
    expect(await countRows(tdb, "roster_user_sources", "provider_id = $1 and status = 'active'", [p.id])).toBe(c.users);
    expect(await countRows(tdb, "sis_raw_enrollments", "run_id = $1", [res.runId])).toBe(c.enrollments);

    // One student in full: normalised fields, original email for display, lower-cased match key.
    const student = [...d.students].find((u) => u.email !== null)!;
    const { rows } = await tdb.pool.query(
      `select u.* from roster_users u join roster_user_sources s on s.entity_id = u.id where s.provider_id = $1 and s.external_id = $2`,
      [p.id, student.id],
    );
    expect(rows[0]).toMatchObject({
      tenant_id: "tenant-first",
      status: "active",
      role: "student",
      given_name: student.givenName,
      family_name: student.familyName,
      email: student.email,
      email_key: student.email!.toLowerCase(),
      username: student.username,
      student_number: student.studentNumber,
      grades: [student.grade],
    });
    // Enrollments point at the entities of their class and user.
    const enr = d.enrollments.at(0);
    const link = await tdb.pool.query(
      `select (select external_id from roster_class_sources where entity_id = e.class_id) as class_ext,
              (select external_id from roster_user_sources where entity_id = e.user_id) as user_ext, e.role, e."primary"
         from roster_enrollments e join roster_enrollment_sources s on s.entity_id = e.id where s.provider_id = $1 and s.external_id = $2`,
      [p.id, enr.id],
    );
    expect(link.rows[0]).toEqual({ class_ext: enr.classId, user_ext: enr.userId, role: enr.role, primary: enr.primary });

    // New entities get UUIDv7 ids that follow the export's order (neighbours in every index).
    const ids = await tdb.pool.query<{ id: string }>(
      `select s.entity_id as id from roster_user_sources s join sis_raw_users r on r.run_id = $2 and r.external_id = s.external_id
        where s.provider_id = $1 order by r.seq`,
      [p.id, res.runId],
    );
    expect(ids.rows).toHaveLength(c.users);
    for (const { id } of ids.rows) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const asc = ids.rows.map((r) => r.id);
    expect([...asc].sort()).toEqual(asc);
    expect(new Set(asc).size).toBe(asc.length);
  });
});

describe("re-sync", () => {
  it("changes nothing when the export is identical", async () => {
    const d = tiny(2);
    const p = await syncedProvider(d);
    const before = await rosterSnapshot(tdb);
    const res = await runSync(tdb, p, districtConnector(d));
    const c = counts(d);
    expect(res.status).toBe("SUCCESS");
    expect(res.stats).toEqual({
      schools: kindStats(0, 0, 0, c.schools),
      classes: kindStats(0, 0, 0, c.classes),
      users: kindStats(0, 0, 0, c.users),
      enrollments: kindStats(0, 0, 0, c.enrollments),
    });
    expect(await rosterSnapshot(tdb)).toEqual(before);
  });

  it("applies a day's changes with exactly the simulator's expected effects", async () => {
    const d0 = tiny(3);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 3 });
    const res = await runSync(tdb, p, districtConnector(m.district));
    expect(res.status).toBe("SUCCESS");
    expect(res.stats).toEqual(withNoErrors(m.expected));
    const c = counts(m.district);
    const sc = await statusCounts(tdb, p.tenantId);
    expect(sc.users.active).toBe(c.users);
    expect(sc.users.inactive).toBe(m.changes.withdrawnStudentIds.length);
    expect(sc.classes.active).toBe(c.classes);
    expect(sc.enrollments.active).toBe(c.enrollments);

    // Withdrawn students are inactive, never deleted, and so are their enrollments.
    const withdrawn = m.changes.withdrawnStudentIds[0];
    const { rows } = await tdb.pool.query(
      `select u.status, (select count(*)::int from roster_enrollments e where e.user_id = u.id and e.status = 'active') as active_enrollments
         from roster_users u join roster_user_sources s on s.entity_id = u.id where s.provider_id = $1 and s.external_id = $2`,
      [p.id, withdrawn],
    );
    expect(rows).toEqual([{ status: "inactive", active_enrollments: 0 }]);

    // A second run of the same day is all-unchanged again.
    const again = await runSync(tdb, p, districtConnector(m.district));
    for (const k of ["schools", "classes", "users", "enrollments"] as const) {
      expect(again.stats[k]).toEqual(kindStats(0, 0, 0, c[k]));
    }
  });

  it("keeps the same user when their email changes", async () => {
    const d0 = tiny(4);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 4, changeEmails: 0.2, withdrawStudents: 0, newStudents: 0, dropClasses: 0, addClasses: 0, moveEnrollments: 0, swapPrimaryTeachers: 0 });
    expect(m.changes.emailChangedUserIds.length).toBeGreaterThan(0);
    const userId = m.changes.emailChangedUserIds[0];
    const q = `select u.id, u.email, u.status from roster_users u join roster_user_sources s on s.entity_id = u.id where s.provider_id = $1 and s.external_id = $2`;
    const before = (await tdb.pool.query(q, [p.id, userId])).rows[0];
    const res = await runSync(tdb, p, districtConnector(m.district));
    expect(res.stats).toEqual(withNoErrors(m.expected));
    expect(res.stats.users.created).toBe(0);
    const after = (await tdb.pool.query(q, [p.id, userId])).rows[0];
    const newEmail = m.district.users.at(m.district.users.indexOf(userId)).email;
    expect(after).toEqual({ id: before.id, email: newEmail, status: "active" });
    expect(newEmail).not.toBe(before.email);
  });
});

describe("dry run", () => {
  it("computes the same stats and writes nothing to the roster", async () => {
    const d0 = tiny(5);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 5 });
    const before = await rosterSnapshot(tdb);
    const dry = await runSync(tdb, p, districtConnector(m.district), { dryRun: true });
    expect(dry.status).toBe("SUCCESS");
    expect(dry.stats).toEqual(withNoErrors(m.expected));
    expect(await rosterSnapshot(tdb)).toEqual(before);
    const real = await runSync(tdb, p, districtConnector(m.district));
    expect(real.stats).toEqual(dry.stats);
  });

  it("writes nothing on a first sync either", async () => {
    const p = await createProvider(tdb, "tenant-dry-first");
    const before = await rosterSnapshot(tdb);
    const dry = await runSync(tdb, p, districtConnector(tiny(6)), { dryRun: true });
    expect(dry.stats.users).toEqual(kindStats(31));
    expect(await rosterSnapshot(tdb)).toEqual(before);
  });
});

describe("mass-removal guard", () => {
  it("fails without deactivating anything when a kind would lose more than 20 %, and force passes it", async () => {
    const d0 = tiny(7);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 7, withdrawStudents: 0.5, newStudents: 0, changeEmails: 0, changeNames: 0, dropClasses: 0, addClasses: 0, retitleClasses: 0, moveEnrollments: 0, swapPrimaryTeachers: 0 });
    const withdrawn = m.changes.withdrawnStudentIds.length;
    const before = await rosterSnapshot(tdb);
    const res = await runSync(tdb, p, districtConnector(m.district));
    expect(res.status).toBe("FAILURE");
    expect(res.errorMessage).toContain(`it would deactivate ${withdrawn} of ${d0.users.count} active users`);
    expect(res.errorMessage).toMatch(/more than the 20% allowed by maxDeactivationRatio.*force: true/);
    expect(await rosterSnapshot(tdb)).toEqual(before);

    const forced = await runSync(tdb, p, districtConnector(m.district), { force: true });
    expect(forced.status).toBe("SUCCESS");
    expect(forced.stats).toEqual(withNoErrors(m.expected));
    expect((await statusCounts(tdb, p.tenantId)).users.inactive).toBe(withdrawn);
  });
});

/** Holds an exclusive lock on a table from another session, so the load blocks on it mid-transaction. */
async function blockTable(table: string): Promise<{ waitForEngine(): Promise<number>; release(): Promise<void> }> {
  const c = new Client({ connectionString: tdb.url });
  await c.connect();
  await c.query("begin");
  await c.query(`lock table ${table} in access exclusive mode`);
  return {
    async waitForEngine() {
      for (let i = 0; i < 500; i++) {
        const { rows } = await c.query(
          `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        if (rows.length) return rows[0].pid as number;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("engine never blocked");
    },
    async release() {
      await c.query("rollback");
      await c.end();
    },
  };
}

describe("cancel and worker kill", () => {
  it("cancels between pages without touching the roster", async () => {
    const d0 = tiny(8);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 8 });
    const before = await rosterSnapshot(tdb);
    const ac = new AbortController();
    const res = await runSync(tdb, p, districtConnector(m.district, { pageSize: 5, beforePage: (i) => (i === 8 ? ac.abort("cancelled") : undefined) }), {
      signal: ac.signal,
    });
    expect(res).toMatchObject({ status: "CANCELLED", errorMessage: "Cancelled on request" });
    expect(res.phases).toEqual(["extract"]);
    expect(await rosterSnapshot(tdb)).toEqual(before);
  });

  it("rolls back a load cancelled half-way, leaving nothing half-deactivated", async () => {
    const d0 = tiny(9);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 9 });
    const before = await rosterSnapshot(tdb);
    const ac = new AbortController();
    // Schools, classes and users are written inside the load transaction before enrollments block.
    const lock = await blockTable("roster_enrollments");
    const running = runSync(tdb, p, districtConnector(m.district), { signal: ac.signal });
    await lock.waitForEngine();
    ac.abort("cancelled");
    await lock.release();
    const res = await running;
    expect(res.status).toBe("CANCELLED");
    expect(await rosterSnapshot(tdb)).toEqual(before);
    // The next run repairs everything with the expected effects.
    const next = await runSync(tdb, p, districtConnector(m.district));
    expect(next.stats).toEqual(withNoErrors(m.expected));
  });

  it("leaves the roster as it was when the worker dies mid-load, and the next run repairs it", async () => {
    const d0 = tiny(10);
    const p = await syncedProvider(d0);
    const m = mutate(d0, { seed: 10 });
    const before = await rosterSnapshot(tdb);
    const lock = await blockTable("roster_enrollments");
    const running = runSync(tdb, p, districtConnector(m.district));
    const pid = await lock.waitForEngine();
    // What a SIGKILLed worker looks like to Postgres: its connection is gone mid-transaction.
    await tdb.pool.query("select pg_terminate_backend($1)", [pid]);
    await lock.release();
    await expect(running).rejects.toThrow();
    expect(await rosterSnapshot(tdb)).toEqual(before);
    const next = await runSync(tdb, p, districtConnector(m.district));
    expect(next.status).toBe("SUCCESS");
    expect(next.stats).toEqual(withNoErrors(m.expected));
  });
});
