import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { writeOneRosterCsv } from "@sis-sync/sis-simulator/src/csv/oneroster-csv";
import { DISTRICT_SIZES, generateDistrict, mutate, type District } from "@sis-sync/sis-simulator/src/generator";
import type { ConnectorLogger } from "@sis-sync/roster";
import { createProvider, kindStats, runSync, statusCounts, withNoErrors } from "../../sync-engine/test/helpers/sync-harness";
import { OneRosterCsvConnector } from "../src/oneroster-csv";
import { openZipSource } from "../src/oneroster-csv/zip-source";
import { openLocalFolderSource } from "../src/oneroster-csv/local-folder-source";

const logger: ConnectorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });

let tdb: TestDatabase;
let dir: string;
beforeAll(async () => {
  tdb = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "oneroster-csv-sync-"));
});
afterAll(async () => {
  await tdb.drop();
  await rm(dir, { recursive: true, force: true });
});

function connectorFor(open: () => ReturnType<typeof openLocalFolderSource>): OneRosterCsvConnector {
  return new OneRosterCsvConnector({
    config: { sftp: { host: "127.0.0.1", username: "unused", password: "unused" }, remotePath: "/unused" },
    logger,
    allowPrivateHosts: true,
    pageSize: 13,
    openSource: open,
  });
}

describe("ONEROSTER_CSV through the sync engine", () => {
  it("loads a bulk zip export with the generator's exact counts, then applies the next day's delta export exactly", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 51 });
    const day0 = await writeOneRosterCsv(d0, join(dir, "day0"), { zip: true });
    const p = await createProvider(tdb, "tenant-csv-sync");

    const first = await runSync(tdb, p, connectorFor(() => openZipSource(day0.zipPath!, "day0.zip")));
    const c0 = counts(d0);
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(first.stats).toEqual({ schools: kindStats(c0.schools), classes: kindStats(c0.classes), users: kindStats(c0.users), enrollments: kindStats(c0.enrollments) });

    // The next day as a delta: only changed rows, deletions as tobedeleted.
    const m = mutate(d0, { seed: 52 });
    const day1 = await writeOneRosterCsv(m.district, join(dir, "day1"), { delta: { previous: d0 } });
    const second = await runSync(tdb, p, connectorFor(() => openLocalFolderSource(day1.dir)));
    expect(second.status).toBe("SUCCESS");
    // A delta holds only changed rows: the same creates/updates/deactivations as a full export
    // of that day would give, and nothing counted unchanged (the rest was not in the file).
    const expected = withNoErrors(m.expected);
    for (const k of ["schools", "classes", "users", "enrollments"] as const) {
      expect(second.stats[k]).toEqual({ ...expected[k], unchanged: 0 });
    }
    expect(day1.rows.users).toBe(expected.users.created + expected.users.updated + expected.users.deactivated);
    expect(day1.rows.users).toBeLessThan(c0.users / 2);
    const c1 = counts(m.district);
    const sc = await statusCounts(tdb, p.tenantId);
    expect(sc.users).toEqual({ active: c1.users, inactive: m.changes.withdrawnStudentIds.length });
    expect(sc.classes).toEqual({ active: c1.classes, inactive: m.changes.droppedClassIds.length });
    expect(sc.enrollments.active).toBe(c1.enrollments);
    expect(sc.schools).toEqual({ active: c1.schools, inactive: 0 });
  });
});
