import { DISTRICT_SIZES, generateDistrict, startOneRosterPeer, startSftpPeer, type OneRosterPeer, type SftpPeer } from "../../packages/sis-simulator/src";
import { SisHttpClient } from "../../packages/connectors/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, startEvidenceStack, expectRunsSettled } from "./support/fault-kit";
import { startStubServer } from "./support/sis-proxy";

/**
 * Outbound guard (issue #8): with production settings (NODE_ENV=production, SIS_ALLOW_PRIVATE_HOSTS
 * unset) a baseUrl or SFTP host on a private, loopback, link-local or metadata address is refused
 * by `test` and by a sync, with a clear message, before any connection; redirects are never
 * followed (a redirect to a private address would slip past the first host check).
 */
describe("fault suite: outbound guard", () => {
  const evidence = new Evidence();
  let prod: TestStack;
  let api: ReturnType<typeof apiOf>;
  let peer: OneRosterPeer;
  let sftp: SftpPeer;
  let stub: Awaited<ReturnType<typeof startStubServer>>;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    prod = await startEvidenceStack(evidence, { inProcessWorker: true, env: { NODE_ENV: "production", SIS_ALLOW_PRIVATE_HOSTS: "" } });
    api = apiOf(prod, await prod.token({ roles: ["PLATFORM_ADMIN"] }));
    peer = await startOneRosterPeer({ district: generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 5 }) });
    sftp = await startSftpPeer({ district: generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 5 }) });
    stub = await startStubServer(() => ({ status: 200, body: JSON.stringify({ orgs: [] }) }));
    evidence.secret(peer.credentials.clientSecret, sftp.credentials.password, sftp.credentials.privateKey);
    closers.push(() => peer.close(), () => sftp.close(), () => stub.close());
  });
  afterAll(async () => {
    await prod?.close();
    for (const c of closers) await c();
  });

  it("runs with private hosts refused by default in production", () => {
    expect(prod.config.NODE_ENV).toBe("production");
    expect(prod.config.SIS_ALLOW_PRIVATE_HOSTS).toBe(false);
  });

  it("refuses loopback, private, link-local, metadata and CGNAT base URLs in test, without connecting", async () => {
    const port = new URL(stub.origin).port;
    const hosts = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `2130706433:${port}`,
      `0x7f.1:${port}`,
      `0.0.0.0:${port}`,
      "169.254.169.254",
      "10.1.2.3",
      "192.168.0.10",
      "172.16.5.4",
      "100.64.0.1",
      "[fd00::1]",
      "[fe80::1]",
    ];
    for (const host of hosts) {
      const id = await api.provider("t-out", "ONEROSTER_API", { baseUrl: `https://${host}/ims/oneroster/v1p1`, clientId: "c", clientSecret: "outbound-secret-1234" });
      const res = await api.testConnection(id);
      expect({ host, success: res.success }).toEqual({ host, success: false });
      expect({ host, message: res.message }).toEqual({ host, message: expect.stringMatching(/private or reserved address; refusing to connect/) });
    }
    const clever = await api.provider("t-out", "CLEVER", { clientId: "c", clientSecret: "outbound-secret-1234", districtId: "d", accessToken: "outbound-token-1234", baseUrl: "https://169.254.169.254" });
    const res = await api.testConnection(clever);
    expect(res).toEqual({ success: false, message: expect.stringMatching(/169\.254\.169\.254.*private or reserved address; refusing to connect/) });
    expect(stub.hits()).toBe(0);
  }, 60_000);

  it("ends a sync against a loopback base URL FAILURE with the guard's message, having contacted nothing", async () => {
    const before = peer.requestCount();
    const { baseUrl, clientId, clientSecret } = peer.credentials;
    const id = await api.provider("t-out", "ONEROSTER_API", { baseUrl: baseUrl.replace("http://", "https://"), clientId, clientSecret });
    const run = await api.terminal(await api.sync(id));
    expect(run).toMatchObject({ status: "FAILURE", errorMessage: expect.stringMatching(/^Host 127\.0\.0\.1 resolves to 127\.0\.0\.1, a private or reserved address; refusing to connect$/) });
    // And plain http is refused in production whatever the host.
    const plain = await api.provider("t-out", "ONEROSTER_API", { baseUrl: "http://or.example.com/ims/oneroster/v1p1", clientId, clientSecret });
    expect((await api.testConnection(plain)).message).toMatch(/must use https/);
    expect(peer.requestCount()).toBe(before);
    const { rows } = await prod.db.pool.query("select count(*)::int as n from roster_users");
    expect(rows[0].n).toBe(0);
  }, 60_000);

  it("refuses an SFTP host on a loopback or metadata address", async () => {
    const c = sftp.credentials;
    for (const host of ["127.0.0.1", "localhost", "169.254.169.254"]) {
      const id = await api.provider("t-out", "ONEROSTER_CSV", {
        sftp: { host, port: c.port, username: c.username, password: c.password, hostKeySha256: c.hostKeySha256 },
        remotePath: c.remotePath,
      });
      const res = await api.testConnection(id);
      expect({ host, success: res.success, message: res.message }).toEqual({ host, success: false, message: expect.stringMatching(/private or reserved address; refusing to connect/) });
      if (host === "127.0.0.1") {
        const run = await api.terminal(await api.sync(id));
        expect(run).toMatchObject({ status: "FAILURE", errorMessage: expect.stringMatching(/private or reserved address; refusing to connect/) });
      }
    }
    expect(sftp.stats().connections).toBe(0);
  }, 60_000);

  it("does not follow a redirect, to a private address or anywhere", async () => {
    // The first hop has to be allowed to see the redirect at all, so this client allows loopback;
    // the redirect's target is a second loopback server that must never be hit.
    const target = await startStubServer(() => ({ status: 200, body: JSON.stringify({ orgs: [] }) }));
    const locations = [`${target.origin}/ims/oneroster/v1p1/orgs`, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://10.0.0.1/"];
    let i = 0;
    const redirector = await startStubServer(() => ({ status: [301, 302, 307, 308][i % 4], body: "", headers: { location: locations[i++ % locations.length] } }));
    closers.push(() => target.close(), () => redirector.close());
    const client = new SisHttpClient({
      deps: { providerId: "p", logger: { debug() {}, info() {}, warn() {}, error() {} } as never, redis: null, redisPrefix: "t", allowPrivateHosts: true, requireHttps: false },
      sourceName: "OneRoster server",
      maxRetries: 2,
      retryBaseDelayMs: 10,
      authorize: () => ({}),
    });
    try {
      for (let n = 0; n < 4; n++) {
        const err = await client.getJson(`${redirector.origin}/ims/oneroster/v1p1/orgs`, { signal: new AbortController().signal }).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/answered 30[1278] \(redirect\) for \/ims\/oneroster\/v1p1\/orgs; check the base URL/);
      }
    } finally {
      client.close();
    }
    expect(target.hits()).toBe(0);
    // Not retried either: one request per call.
    expect(redirector.hits()).toBe(4);
  });

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(prod.db.pool);
    await evidence.addRunRecords(prod.db.pool);
    expect(evidence.size).toBeGreaterThan(5_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
