import { randomUUID } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { DISTRICT_SIZES, generateDistrict, mutate, type District } from "@sis-sync/sis-simulator/src/generator";
import { startOneRosterPeer, type ClassLinkCredentials, type OneRosterCredentials, type OneRosterPeer } from "@sis-sync/sis-simulator/src/oneroster/oneroster-peer";
import type { HttpFaults } from "@sis-sync/sis-simulator/src/faults";
import { createProvider, kindStats, runSync, statusCounts } from "@sis-sync/sync-engine/test/helpers/sync-harness";
import type { ConnectorLogger } from "@sis-sync/roster";
import type { ConnectorDeps } from "../src/connector-deps";
import { createConnector } from "../src/create-connector";

/**
 * Full syncs through the engine (`executeSync`, real Postgres) for ONEROSTER_API and CLASSLINK
 * providers built by `createConnector` from their stored config shape, against the simulator.
 */

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = (): ConnectorDeps => ({ providerId: `prov-${randomUUID()}`, logger: silent, redis: null, redisPrefix: `test:${randomUUID()}:`, allowPrivateHosts: true, requireHttps: false });
const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

const peers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function peerAndConfig(type: "ONEROSTER_API" | "CLASSLINK", district: District, faults?: HttpFaults, auth?: "oauth1" | "oauth2") {
  if (type === "CLASSLINK") {
    const peer: OneRosterPeer<ClassLinkCredentials> = await startOneRosterPeer({ flavour: "classlink", district, faults });
    peers.push(peer);
    const { clientId, clientSecret, tenantId, baseUrl } = peer.credentials;
    return { peer, config: { clientId, clientSecret, tenantId, baseUrl } };
  }
  const peer: OneRosterPeer<OneRosterCredentials> = await startOneRosterPeer({ district, faults });
  peers.push(peer);
  const { baseUrl, clientId, clientSecret, tokenUrl } = peer.credentials;
  return { peer, config: { baseUrl, clientId, clientSecret, ...(auth === "oauth2" ? { auth, tokenUrl } : {}) } };
}

describe.each([
  ["ONEROSTER_API", "oauth1"],
  ["ONEROSTER_API", "oauth2"],
  ["CLASSLINK", "oauth1"],
] as const)("%s (%s) full sync through the engine", (type, auth) => {
  it("creates exactly the generator's district, then sees a mutated day's changes", async () => {
    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 31 });
    const { peer, config } = await peerAndConfig(type, d0, undefined, auth);
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const provider = await createProvider(tdb, tenant);

    const first = await runSync(tdb, provider, createConnector(type, config, deps()));
    const c = counts(d0);
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(first.stats).toEqual({ schools: kindStats(c.schools), classes: kindStats(c.classes), users: kindStats(c.users), enrollments: kindStats(c.enrollments) });

    // A second export day: the generator states exactly what changed.
    const { district: d1, expected } = mutate(d0, { seed: 32 });
    peer.setDistrict(d1);
    const second = await runSync(tdb, provider, createConnector(type, config, deps()));
    expect(second.status).toBe("SUCCESS");
    for (const k of ["schools", "classes", "users", "enrollments"] as const) {
      expect({ kind: k, ...second.stats[k] }).toEqual({ kind: k, ...expected[k], errors: 0 });
    }
    const c1 = counts(d1);
    const status = await statusCounts(tdb, tenant);
    expect(status.users.active).toBe(c1.users);
    expect(status.enrollments.active).toBe(c1.enrollments);
    expect(status.classes.active).toBe(c1.classes);
  });
});

describe.each(["ONEROSTER_API", "CLASSLINK"] as const)("%s under faults", (type) => {
  it("ends SUCCESS with the exact data through 429s, 5xx and latency", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 44 });
    // Retry-After 0 keeps the test quick; the client's own backoff (500 ms base) covers the 5xx.
    const { peer, config } = await peerAndConfig(type, d, { rateLimitEvery: 3, retryAfterSeconds: 0, serverErrorOnPage: { page: 1, times: 2 }, latencyMs: 20 });
    const provider = await createProvider(tdb, `t-${randomUUID().slice(0, 8)}`);
    const res = await runSync(tdb, provider, createConnector(type, config, deps()));
    const c = counts(d);
    expect(res).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(res.stats).toEqual({ schools: kindStats(c.schools), classes: kindStats(c.classes), users: kindStats(c.users), enrollments: kindStats(c.enrollments) });
    expect(peer.stats().dataRequests).toBeGreaterThan(6);
  });

  it("ends FAILURE with the auth message and changes nothing when the secret is wrong", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 45 });
    const { peer, config } = await peerAndConfig(type, d);
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const provider = await createProvider(tdb, tenant);
    const res = await runSync(tdb, provider, createConnector(type, { ...config, clientSecret: "wrong-secret" }, deps()));
    expect(res.status).toBe("FAILURE");
    expect(res.errorMessage).toBe(`Authentication failed: 401 from ${new URL(peer.url).host} (OAuth 1.0a: invalid signature)`);
    const none = { active: 0, inactive: 0 };
    expect(await statusCounts(tdb, tenant)).toEqual({ schools: none, classes: none, users: none, enrollments: none });
  });
});
