import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { DISTRICT_SIZES, generateDistrict, mutate, startSftpPeer, type District, type SftpPeer } from "@sis-sync/sis-simulator";
import type { ConnectorLogger } from "@sis-sync/roster";
import { createProvider, kindStats, rosterSnapshot, runSync, statusCounts, withNoErrors, type TestProvider } from "../../sync-engine/test/helpers/sync-harness";
import type { OneRosterCsvConfig } from "../src";
import { OneRosterCsvConnector } from "../src/oneroster-csv";

const logger: ConnectorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });
const fullStats = (d: District) => {
  const c = counts(d);
  return { schools: kindStats(c.schools), classes: kindStats(c.classes), users: kindStats(c.users), enrollments: kindStats(c.enrollments) };
};

let tdb: TestDatabase;
const peers: SftpPeer[] = [];
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  for (const p of peers) await p.close();
  await tdb.drop();
});

async function peerFor(d: District): Promise<SftpPeer> {
  const peer = await startSftpPeer({ district: d });
  peers.push(peer);
  return peer;
}

function connector(peer: SftpPeer, remotePath: string, over: Partial<OneRosterCsvConfig["sftp"]> = {}): OneRosterCsvConnector {
  const c = peer.credentials;
  return new OneRosterCsvConnector({
    config: { sftp: { host: c.host, port: c.port, username: c.username, privateKey: c.privateKey, hostKeySha256: c.hostKeySha256, ...over }, remotePath },
    logger,
    allowPrivateHosts: true,
    pageSize: 17,
  });
}

async function runErrors(runId: string): Promise<{ entity_type: string; external_id: string | null; message: string }[]> {
  const { rows } = await tdb.pool.query("select entity_type, external_id, message from sis_run_errors where run_id = $1 order by id", [runId]);
  return rows;
}

/** A provider in its own tenant that has loaded the peer's bulk export once. */
async function syncedProvider(peer: SftpPeer, d: District): Promise<TestProvider> {
  const p = await createProvider(tdb, `tenant-${Math.random().toString(36).slice(2, 10)}`);
  const first = await runSync(tdb, p, connector(peer, peer.credentials.zipPath));
  expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
  expect(first.stats).toEqual(fullStats(d));
  return p;
}

describe("ONEROSTER_CSV over SFTP through the sync engine", () => {
  it("loads the bulk zip with the generator's exact counts, then applies the next day's delta exactly", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 51 });
    const peer = await peerFor(d0);
    const p = await syncedProvider(peer, d0);
    expect(await statusCounts(tdb, p.tenantId)).toEqual({
      schools: { active: d0.schools.count, inactive: 0 },
      classes: { active: d0.classes.count, inactive: 0 },
      users: { active: d0.users.count, inactive: 0 },
      enrollments: { active: d0.enrollments.count, inactive: 0 },
    });

    // The next day, served as a delta: only changed rows, deletions as tobedeleted.
    const m = mutate(d0, { seed: 52 });
    await peer.setDistrict(m.district);
    const second = await runSync(tdb, p, connector(peer, peer.credentials.deltaPath));
    expect(second.status).toBe("SUCCESS");
    // The same creates/updates/deactivations a full export of that day gives; nothing counted
    // unchanged, because rows that did not change are not in the delta at all.
    const expected = withNoErrors(m.expected);
    for (const k of ["schools", "classes", "users", "enrollments"] as const) {
      expect(second.stats[k]).toEqual({ ...expected[k], unchanged: 0 });
    }
    const c1 = counts(m.district);
    const sc = await statusCounts(tdb, p.tenantId);
    expect(sc.users).toEqual({ active: c1.users, inactive: m.changes.withdrawnStudentIds.length });
    expect(sc.classes).toEqual({ active: c1.classes, inactive: m.changes.droppedClassIds.length });
    expect(sc.enrollments.active).toBe(c1.enrollments);
    expect(sc.schools).toEqual({ active: c1.schools, inactive: 0 });

    const classQuery = `select c.title, c.term_name, c.course_title from roster_classes c join roster_class_sources s on s.entity_id = c.id
                          where s.provider_id = $1 and s.external_id = $2`;
    const retitledId = m.changes.retitledClassIds[0];
    const retitled = m.district.classes.at(m.district.classes.indexOf(retitledId));
    // Known gap: the delta's courses.csv and academicSessions.csv hold only changed rows, so a
    // changed class's term name and course title cannot be looked up and are loaded blank.
    expect((await tdb.pool.query(classQuery, [p.id, retitledId])).rows).toEqual([{ title: retitled.title, term_name: null, course_title: null }]);

    // The same day as a full bulk export: every change already applied, except that the classes
    // the delta carried get their term name and course title back.
    const third = await runSync(tdb, p, connector(peer, peer.credentials.remotePath));
    expect(third.status).toBe("SUCCESS");
    const deltaClasses = m.changes.retitledClassIds.length + m.changes.addedClassIds.length;
    expect(third.stats.classes).toEqual(kindStats(0, deltaClasses, 0, c1.classes - deltaClasses));
    for (const k of ["schools", "users", "enrollments"] as const) expect(third.stats[k]).toEqual(kindStats(0, 0, 0, c1[k]));
    const term = m.district.sessions.at(m.district.sessions.indexOf(retitled.termId));
    const course = m.district.courses.at(m.district.courses.indexOf(retitled.courseId));
    expect((await tdb.pool.query(classQuery, [p.id, retitledId])).rows).toEqual([{ title: retitled.title, term_name: term.title, course_title: course.title }]);
  });

  it("ends PARTIAL on the broken users.csv row: one record error with file and line, every other user loaded", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 53 });
    const peer = await peerFor(d);
    await peer.setFaults({ malformedRowInUsers: true });
    const p = await createProvider(tdb, "tenant-csv-broken-row");
    const res = await runSync(tdb, p, connector(peer, peer.credentials.remotePath));
    expect(res.status).toBe("PARTIAL");
    const c = counts(d);
    expect(res.stats).toEqual({ ...fullStats(d), users: kindStats(c.users, 0, 0, 0, 1) });
    expect(await runErrors(res.runId)).toEqual([
      { entity_type: "user", external_id: "sim-malformed-row", message: `users.csv line ${c.users + 2}: Quoted field unterminated` },
    ]);
    expect((await statusCounts(tdb, p.tenantId)).users).toEqual({ active: c.users, inactive: 0 });
  });

  it("fails the run and changes nothing on a missing column, a truncated zip or a host key mismatch", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 54 });
    const peer = await peerFor(d);
    const p = await syncedProvider(peer, d);
    const before = await rosterSnapshot(tdb);

    const folder = join(peer.servedRoot(), "missing-column");
    await cp(join(peer.servedRoot(), peer.credentials.remotePath), folder, { recursive: true });
    await writeFile(join(folder, "enrollments.csv"), (await readFile(join(folder, "enrollments.csv"), "utf8")).replace(",userSourcedId,", ",learner,"));
    const missing = await runSync(tdb, p, connector(peer, "/missing-column"));
    expect(missing).toMatchObject({ status: "FAILURE", errorMessage: "enrollments.csv is missing required column 'userSourcedId'" });

    const wrongPin = `SHA256:${"B".repeat(43)}`;
    const mismatch = await runSync(tdb, p, connector(peer, peer.credentials.remotePath, { hostKeySha256: wrongPin }));
    expect(mismatch).toMatchObject({
      status: "FAILURE",
      errorMessage: `SFTP host key for 127.0.0.1 is ${peer.credentials.hostKeySha256} but the provider pins ${wrongPin}; refusing to connect`,
    });

    await peer.setFaults({ truncateZip: true });
    const truncated = await runSync(tdb, p, connector(peer, peer.credentials.zipPath));
    expect(truncated.status).toBe("FAILURE");
    expect(truncated.errorMessage).toMatch(/oneroster\.zip is not a readable zip \(truncated or corrupt\)/);

    expect(await rosterSnapshot(tdb)).toEqual(before);
    expect(await statusCounts(tdb, p.tenantId)).toEqual({
      schools: { active: d.schools.count, inactive: 0 },
      classes: { active: d.classes.count, inactive: 0 },
      users: { active: d.users.count, inactive: 0 },
      enrollments: { active: d.enrollments.count, inactive: 0 },
    });
  });
});
