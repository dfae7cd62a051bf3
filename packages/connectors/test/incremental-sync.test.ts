import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { DISTRICT_SIZES, generateDistrict, mutate, type District } from "@sis-sync/sis-simulator/src/generator";
import { startCleverPeer } from "@sis-sync/sis-simulator/src/clever/clever-peer";
import { startOneRosterPeer } from "@sis-sync/sis-simulator/src/oneroster/oneroster-peer";
import { writeOneRosterCsv } from "@sis-sync/sis-simulator/src/csv/oneroster-csv";
import { createProvider, runSync, type RunResult, type TestProvider } from "@sis-sync/sync-engine/test/helpers/sync-harness";
import type { ConnectorLogger, SisConnector } from "@sis-sync/roster";
import type { ConnectorDeps } from "../src/connector-deps";
import { createConnector } from "../src/create-connector";
import { OneRosterCsvConnector, openLocalFolderSource } from "../src/oneroster-csv";

/**
 * issue #9: an incremental run of each provider type, against the simulator, leaves exactly the
 * roster a full run of the same day leaves (two tenants fed by the same source: one synced
 * incrementally, one in full), over two changed days; its stats count exactly the day's changes;
 * and a cursor the source refuses makes the run read everything and say so.
 */

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = (): ConnectorDeps => ({ providerId: `prov-${randomUUID()}`, logger: silent, redis: null, redisPrefix: `test:${randomUUID()}:`, allowPrivateHosts: true, requireHttps: false });

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

interface Source {
  connector(): SisConnector;
  setDistrict(d: District): Promise<void>;
}

async function cleverSource(d0: District): Promise<Source> {
  const peer = await startCleverPeer({ district: d0 });
  cleanups.push(() => peer.close());
  const { clientId, clientSecret, districtId, baseUrl, tokenUrl } = peer.credentials;
  return {
    connector: () => createConnector("CLEVER", { clientId, clientSecret, districtId, baseUrl, tokenUrl }, deps()),
    setDistrict: async (d) => peer.setDistrict(d),
  };
}

async function oneRosterSource(d0: District, flavour: "oneroster" | "classlink"): Promise<Source> {
  if (flavour === "classlink") {
    const peer = await startOneRosterPeer({ district: d0, flavour: "classlink" });
    cleanups.push(() => peer.close());
    const { clientId, clientSecret, tenantId, baseUrl } = peer.credentials;
    return { connector: () => createConnector("CLASSLINK", { clientId, clientSecret, tenantId, baseUrl }, deps()), setDistrict: async (d) => peer.setDistrict(d) };
  }
  const peer = await startOneRosterPeer({ district: d0 });
  cleanups.push(() => peer.close());
  const { baseUrl, clientId, clientSecret } = peer.credentials;
  return { connector: () => createConnector("ONEROSTER_API", { baseUrl, clientId, clientSecret }, deps()), setDistrict: async (d) => peer.setDistrict(d) };
}

/** The CSV connector over local folders: `/bulk` the day's bulk export, `/delta` the delta since the previous day. */
async function csvSource(d0: District): Promise<Source> {
  const root = await mkdtemp(join(tmpdir(), "sis-incr-csv-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  let day = 0;
  await writeOneRosterCsv(d0, join(root, `bulk-${day}`));
  let current = d0;
  return {
    connector: () =>
      new OneRosterCsvConnector({
        config: { sftp: { host: "unused.invalid", username: "u", password: "p" }, remotePath: "/bulk", deltaPath: "/delta" },
        logger: silent,
        allowPrivateHosts: true,
        openSource: (_signal, path) => openLocalFolderSource(join(root, path === "/delta" ? `delta-${day}` : `bulk-${day}`)),
      }),
    setDistrict: async (d) => {
      day += 1;
      await writeOneRosterCsv(d, join(root, `bulk-${day}`));
      await writeOneRosterCsv(d, join(root, `delta-${day}`), { delta: { previous: current } });
      current = d;
    },
  };
}

const SOURCES = {
  CLEVER: cleverSource,
  ONEROSTER_API: (d: District) => oneRosterSource(d, "oneroster"),
  CLASSLINK: (d: District) => oneRosterSource(d, "classlink"),
  ONEROSTER_CSV: csvSource,
} as const;

/** The tenant's roster keyed by the provider's external ids (entity ids differ between tenants). */
async function rosterOf(tenant: string): Promise<Record<string, unknown[]>> {
  const q = async (sql: string) => (await tdb.pool.query(sql, [tenant])).rows;
  return {
    schools: await q(`select s.external_id, s.status as link, e.status, e.name, e.school_number, e.nces_id
                        from roster_schools e join roster_school_sources s on s.entity_id = e.id where e.tenant_id = $1 order by 1`),
    classes: await q(`select s.external_id, s.status as link, e.status, e.title, e.class_code, e.subject, e.period, e.term_external_id, e.term_name,
                             e.term_start_date::text, e.term_end_date::text, e.course_external_id, e.course_title, ps.external_id as school
                        from roster_classes e join roster_class_sources s on s.entity_id = e.id
                        join roster_school_sources ps on ps.entity_id = e.school_id where e.tenant_id = $1 order by 1`),
    users: await q(`select s.external_id, s.status as link, e.status, e.role, e.given_name, e.family_name, e.email, e.username, e.student_number, e.grades
                      from roster_users e join roster_user_sources s on s.entity_id = e.id where e.tenant_id = $1 order by 1`),
    enrollments: await q(`select s.external_id, s.status as link, e.status, e.role, e."primary", e.begin_date::text, e.end_date::text
                            from roster_enrollments e join roster_enrollment_sources s on s.entity_id = e.id where e.tenant_id = $1 order by 1`),
  };
}

const changesOf = (r: RunResult) =>
  Object.fromEntries(Object.entries(r.stats).map(([k, s]) => [k, { created: s.created, updated: s.updated, deactivated: s.deactivated, errors: s.errors }]));

describe.each(Object.keys(SOURCES) as (keyof typeof SOURCES)[])("%s incremental sync", (type) => {
  it("gives exactly the roster a full sync gives, over two changed days, with the day's exact stats", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 91 });
    const source = await SOURCES[type](d0);
    const incr: TestProvider = await createProvider(tdb, `incr-${randomUUID().slice(0, 8)}`);
    const full: TestProvider = await createProvider(tdb, `full-${randomUUID().slice(0, 8)}`);

    const first = await runSync(tdb, incr, source.connector(), { mode: "full", incremental: true });
    expect(first.status).toBe("SUCCESS");
    expect(first.nextCursor).toEqual(expect.any(String));
    expect((await runSync(tdb, full, source.connector())).status).toBe("SUCCESS");
    let cursor = first.nextCursor!;

    let d = d0;
    for (const seed of [92, 93]) {
      const next = mutate(d, { seed });
      d = next.district;
      await source.setDistrict(d);
      const inc = await runSync(tdb, incr, source.connector(), { mode: "incremental", cursor, incremental: true });
      const ful = await runSync(tdb, full, source.connector());
      expect({ status: inc.status, fellBackToFull: inc.fellBackToFull }).toEqual({ status: "SUCCESS", fellBackToFull: undefined });
      expect(ful.status).toBe("SUCCESS");
      // Same changes as the full run, which the generator states exactly.
      const expected = Object.fromEntries(Object.entries(next.expected).map(([k, e]) => [k, { created: e.created, updated: e.updated, deactivated: e.deactivated, errors: 0 }]));
      expect(changesOf(ful)).toEqual(expected);
      expect(changesOf(inc)).toEqual(expected);
      expect(await rosterOf(incr.tenantId)).toEqual(await rosterOf(full.tenantId));
      expect(inc.nextCursor).toEqual(expect.any(String));
      cursor = inc.nextCursor!;
    }
  });
});

describe.each(["CLEVER", "ONEROSTER_API", "CLASSLINK"] as const)("%s with a cursor the source refuses", (type) => {
  it("falls back to a full read, deactivating by absence, and returns a fresh cursor", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 95 });
    const source = await SOURCES[type](d0);
    const provider = await createProvider(tdb, `stale-${randomUUID().slice(0, 8)}`);
    expect((await runSync(tdb, provider, source.connector(), { incremental: true })).status).toBe("SUCCESS");
    const { district: d1, expected } = mutate(d0, { seed: 96 });
    await source.setDistrict(d1);
    const stale = type === "CLEVER" ? "0badc0ffee0badc0ffee0bad" : "2001-01-01T00:00:00.000Z";
    const run = await runSync(tdb, provider, source.connector(), { mode: "incremental", cursor: stale, incremental: true });
    expect(run).toMatchObject({ status: "SUCCESS", fellBackToFull: true });
    expect(run.stats.users).toEqual({ ...expected.users, errors: 0 });
    expect(run.stats.enrollments).toEqual({ ...expected.enrollments, errors: 0 });
    expect(run.nextCursor).toEqual(expect.any(String));
    expect(run.nextCursor).not.toBe(stale);
  });
});
