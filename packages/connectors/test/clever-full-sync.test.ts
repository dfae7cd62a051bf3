import { randomUUID } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import type { ConnectorLogger } from "@sis-sync/roster";
import { DISTRICT_SIZES, generateDistrict, mutate, startCleverPeer, type CleverPeer, type District, type HttpFaults } from "@sis-sync/sis-simulator";
import { createProvider, kindStats, rosterSnapshot, runSync, statusCounts } from "@sis-sync/sync-engine/test/helpers/sync-harness";
import type { ConnectorDeps } from "../src/connector-deps";
import { CleverConnector } from "../src/clever/clever-connector";
import { createConnector } from "../src/create-connector";

/**
 * CLEVER providers synced through the engine (`executeSync`, real Postgres) against the
 * simulator's Clever peer: the run's stats must equal the generator's numbers exactly.
 */

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = (): ConnectorDeps => ({ providerId: `prov-${randomUUID()}`, logger: silent, redis: null, redisPrefix: `test:${randomUUID()}:`, allowPrivateHosts: true, requireHttps: false });
const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });
const allCreated = (d: District) => {
  const c = counts(d);
  return { schools: kindStats(c.schools), classes: kindStats(c.classes), users: kindStats(c.users), enrollments: kindStats(c.enrollments) };
};

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
}, 120_000);

const peers: CleverPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function cleverPeer(district: District, faults?: HttpFaults) {
  const peer = await startCleverPeer({ district, faults });
  peers.push(peer);
  const { clientId, clientSecret, districtId, baseUrl, tokenUrl } = peer.credentials;
  // As stored by the API: no access token, so the connector lists the district's token itself.
  return { peer, config: { clientId, clientSecret, districtId, baseUrl, tokenUrl } };
}

describe("CLEVER full sync through the engine", () => {
  it("creates exactly the generator's district, then applies a mutated day's exact changes", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 60, seed: 61 });
    const { peer, config } = await cleverPeer(d0);
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const provider = await createProvider(tdb, tenant);

    const first = await runSync(tdb, provider, createConnector("CLEVER", config, deps()));
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(first.stats).toEqual(allCreated(d0));

    const { district: d1, expected } = mutate(d0, { seed: 62 });
    peer.setDistrict(d1);
    const second = await runSync(tdb, provider, createConnector("CLEVER", config, deps()));
    expect(second).toMatchObject({ status: "SUCCESS", errorMessage: null });
    for (const k of ["schools", "classes", "users", "enrollments"] as const) {
      expect({ kind: k, ...second.stats[k] }).toEqual({ kind: k, ...expected[k], errors: 0 });
    }
    // The mutation really changed every kind it can change.
    expect(expected.users.created + expected.users.updated + expected.users.deactivated).toBeGreaterThan(0);
    expect(expected.enrollments.created + expected.enrollments.updated + expected.enrollments.deactivated).toBeGreaterThan(0);

    const c1 = counts(d1);
    const status = await statusCounts(tdb, tenant);
    expect(status.schools.active).toBe(c1.schools);
    expect(status.classes.active).toBe(c1.classes);
    expect(status.users.active).toBe(c1.users);
    expect(status.enrollments.active).toBe(c1.enrollments);

    // The same day again changes nothing.
    const third = await runSync(tdb, provider, createConnector("CLEVER", config, deps()));
    expect(third.stats).toEqual({
      schools: kindStats(0, 0, 0, c1.schools),
      classes: kindStats(0, 0, 0, c1.classes),
      users: kindStats(0, 0, 0, c1.users),
      enrollments: kindStats(0, 0, 0, c1.enrollments),
    });
  });

  it("ends SUCCESS with the exact data through 429s, a 500 mid-way and an expiring token", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 60, seed: 64 });
    const { peer, config } = await cleverPeer(d, { rateLimitEvery: 4, retryAfterSeconds: 0, serverErrorOnPage: { path: "users", page: 2, times: 1, status: 500 }, expireTokenAfterRequests: 6 });
    const provider = await createProvider(tdb, `t-${randomUUID().slice(0, 8)}`);
    // Stored token from the config; small pages so the faults land mid-sync.
    const connector = new CleverConnector({ ...config, accessToken: peer.credentials.accessToken }, deps(), { pageSize: 15, http: { retryBaseDelayMs: 20, maxRetryWaitMs: 1_500 } });
    const res = await runSync(tdb, provider, connector);
    expect(res).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(res.stats).toEqual(allCreated(d));
    expect(peer.stats().byPath["/oauth/tokens"]).toBeGreaterThan(1);
  });

  it("ends FAILURE with Clever's message and writes nothing when the app secret is wrong", async () => {
    const { config } = await cleverPeer(generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 65 }));
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const provider = await createProvider(tdb, tenant);
    const res = await runSync(tdb, provider, createConnector("CLEVER", { ...config, clientSecret: "wrong-secret" }, deps()));
    expect(res.status).toBe("FAILURE");
    expect(res.errorMessage).toBe("Clever refused the client ID and secret when asked for the district token; check the app credentials");
    const none = { active: 0, inactive: 0 };
    expect(await statusCounts(tdb, tenant)).toEqual({ schools: none, classes: none, users: none, enrollments: none });
  });

  it("ends CANCELLED and changes nothing when cancelled mid-extract", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 60, seed: 66 });
    const { peer, config } = await cleverPeer(d0);
    const provider = await createProvider(tdb, `t-${randomUUID().slice(0, 8)}`);
    const first = await runSync(tdb, provider, createConnector("CLEVER", config, deps()));
    expect(first.status).toBe("SUCCESS");
    const before = await rosterSnapshot(tdb);

    peer.setDistrict(mutate(d0, { seed: 67 }).district);
    peer.setFaults({ latencyMs: 40 });
    const ac = new AbortController();
    const connector = new CleverConnector(config, deps(), { pageSize: 10 });
    setTimeout(() => ac.abort(), 250);
    const started = Date.now();
    const res = await runSync(tdb, provider, connector, { signal: ac.signal });
    expect(res.status).toBe("CANCELLED");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await rosterSnapshot(tdb)).toEqual(before);
  });
});
