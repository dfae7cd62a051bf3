import { DISTRICT_SIZES, generateDistrict, mutate, startOneRosterPeer, type District, type OneRosterPeer } from "../../packages/sis-simulator/src";
import { createConnector, createOneRosterApiConnector, type OneRosterApiConfig } from "../../packages/connectors/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, expectRosterMatches, snapshot, startEvidenceStack, expectRunsSettled } from "./support/fault-kit";
import { startSisProxy, type SisProxy } from "./support/sis-proxy";

/**
 * SIS faults against the real OneRoster connector (through the API and a worker) and the
 * simulator's OneRoster peer, with short timeouts, small pages and quick backoff so every
 * scenario takes seconds. Each scenario loads district v1, then the peer serves v2 and the
 * fault hits the v2 run: a fault the client can ride out must load v2 exactly (nothing lost,
 * nothing duplicated); one it cannot must end FAILURE with a clear message and leave v1 as it was.
 */
const TUNING = { pageSize: 10, http: { timeoutMs: 1_500, maxRetries: 3, retryBaseDelayMs: 50, maxRetryWaitMs: 1_500, maxPages: 40 } };

describe("fault suite: SIS faults", () => {
  const evidence = new Evidence();
  let stack: TestStack;
  let api: ReturnType<typeof apiOf>;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    stack = await startEvidenceStack(evidence, {
      inProcessWorker: true,
      connectorFactory: (type, config, deps) => (type === "ONEROSTER_API" ? createOneRosterApiConnector(config as OneRosterApiConfig, deps, TUNING) : createConnector(type, config, deps)),
      env: { MAX_CONCURRENT_SYNCS: "4", WORKER_CONCURRENCY: "4" },
    });
    api = apiOf(stack, await stack.token({ roles: ["PLATFORM_ADMIN"] }));
  });
  afterAll(async () => {
    await stack?.close();
    for (const c of closers) await c();
  });

  let seed = 1000;
  /** Provider on its own tenant and peer (optionally behind a proxy, with OAuth 2.0), synced to v1; the peer then serves v2. */
  async function scenario(name: string, o: { proxy?: boolean } = {}) {
    seed += 10;
    const v1 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed });
    const peer: OneRosterPeer = await startOneRosterPeer({ district: v1 });
    closers.push(() => peer.close());
    const { baseUrl, clientId, clientSecret, tokenUrl } = peer.credentials;
    evidence.secret(clientSecret);
    let proxy: SisProxy | undefined;
    let config: Record<string, string> = { baseUrl, clientId, clientSecret };
    if (o.proxy) {
      proxy = await startSisProxy(new URL(baseUrl).origin);
      closers.push(() => proxy!.close());
      const origin = new URL(baseUrl).origin;
      config = { baseUrl: baseUrl.replace(origin, proxy.origin), tokenUrl: tokenUrl.replace(origin, proxy.origin), clientId, clientSecret, auth: "oauth2" };
    }
    const tenant = `t-${name}`;
    const id = await api.provider(tenant, "ONEROSTER_API", config, { options: { maxDeactivationRatio: 0.5 } });
    const first = await api.terminal(await api.sync(id));
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, tenant, v1);
    const before = await snapshot(stack.db.pool, id, tenant);
    const v2: District = mutate(v1, { seed: seed + 1, withdrawStudents: 0.1, newStudents: 0.1, changeNames: 0.1, dropClasses: 0.1, addClasses: 0.1 }).district;
    peer.setDistrict(v2);
    return { peer, proxy, id, tenant, v1, v2, before };
  }
  type Scenario = Awaited<ReturnType<typeof scenario>>;

  /** The HTTP client's retry log lines for a provider. */
  const retries = (providerId: string) =>
    evidence
      .logText()
      .split("\n")
      .filter((l) => l.includes('"sis http retry"') && l.includes(providerId))
      .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as Record<string, unknown>);

  async function expectLoaded(s: Scenario, runId: string) {
    const run = await api.terminal(runId);
    expect(run).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, s.id, s.tenant, s.v2);
    return run;
  }

  async function expectFailedClean(s: Scenario, runId: string, message: RegExp) {
    const run = await api.terminal(runId);
    expect(run.status).toBe("FAILURE");
    expect(run.errorMessage).toMatch(message);
    expect(await snapshot(stack.db.pool, s.id, s.tenant)).toEqual(s.before);
    s.peer.setFaults({});
    if (s.proxy) s.proxy.hooks = {};
    await expectLoaded(s, await api.sync(s.id));
    return run;
  }

  it("rides out a 429 storm honouring Retry-After, and fails clean when it never stops", async () => {
    const s = await scenario("429");
    s.peer.setFaults({ rateLimitEvery: 5, retryAfterSeconds: 1 });
    const started = Date.now();
    await expectLoaded(s, await api.sync(s.id));
    // Every fifth request was refused and waited for: at least a second each.
    expect(Date.now() - started).toBeGreaterThan(3_000);

    s.peer.setDistrict(s.v1);
    await expectLoaded({ ...s, v2: s.v1 }, await api.sync(s.id));
    const before = await snapshot(stack.db.pool, s.id, s.tenant);
    s.peer.setDistrict(s.v2);
    s.peer.setFaults({ rateLimitEvery: 1, retryAfterSeconds: 1 });
    await expectFailedClean({ ...s, before }, await api.sync(s.id), /^Rate limited by 127\.0\.0\.1:\d+: still 429 after 4 attempts$/);
  }, 60_000);

  it("rides out a burst of 5xx mid-collection, and fails clean on a persistent 5xx", async () => {
    const s = await scenario("5xx");
    s.peer.setFaults({ serverErrorOnPage: { path: "users", page: 2, times: 2, status: 503 } });
    await expectLoaded(s, await api.sync(s.id));

    s.peer.setDistrict(s.v1);
    await expectLoaded({ ...s, v2: s.v1 }, await api.sync(s.id));
    const before = await snapshot(stack.db.pool, s.id, s.tenant);
    s.peer.setDistrict(s.v2);
    s.peer.setFaults({ serverErrorOnPage: { path: "enrollments", page: 3, times: 100, status: 502 } });
    await expectFailedClean({ ...s, before }, await api.sync(s.id), /^Could not reach 127\.0\.0\.1:\d+: 502 .*after 4 attempts/);
  }, 60_000);

  it("times out a hanging request and retries it", async () => {
    const s = await scenario("hang");
    // Request-numbered faults count from the peer's start.
    s.peer.setFaults({ hangOnRequest: s.peer.stats().dataRequests + 5 });
    const started = Date.now();
    await expectLoaded(s, await api.sync(s.id));
    expect(Date.now() - started).toBeGreaterThan(1_400);
    expect(retries(s.id)).toEqual([expect.objectContaining({ reason: "no response within 1.5s", retry: 1 })]);
  }, 60_000);

  it("fails clean when every request hangs", async () => {
    const s = await scenario("hang-all");
    s.peer.setFaults({ latencyMs: 5_000 });
    const run = await expectFailedClean(s, await api.sync(s.id), /^Could not reach 127\.0\.0\.1:\d+: no response within 1\.5s \(after 4 attempts\)$/);
    expect(run.phase).toBe("done");
  }, 60_000);

  it("re-reads a page whose connection was cut mid-body, with no record lost or doubled", async () => {
    const s = await scenario("cut");
    s.peer.setFaults({ dropConnectionOnRequest: s.peer.stats().dataRequests + 7 });
    await expectLoaded(s, await api.sync(s.id));
    expect(retries(s.id)).toEqual([expect.objectContaining({ reason: expect.stringMatching(/connection dropped mid-response|connection reset|ECONNRESET|aborted/), retry: 1 })]);
  }, 60_000);

  it("drops a record repeated across pages instead of doubling it", async () => {
    const s = await scenario("repeat");
    s.peer.setFaults({ repeatRecordOnPage: 2 });
    await expectLoaded(s, await api.sync(s.id));
  }, 60_000);

  it("fails clean when the credentials are revoked mid-run (token refresh refused too)", async () => {
    const s = await scenario("revoked", { proxy: true });
    let data = 0;
    s.proxy!.hooks = {
      intercept: ({ path }) => {
        if (path.startsWith("/ims/")) data++;
        if (data <= 6) return undefined;
        if (path === "/oauth/token") return { status: 401, body: JSON.stringify({ error: "invalid_client" }) };
        return { status: 401, body: JSON.stringify({ statusInfoSet: [{ imsx_codeMajor: "failure", imsx_description: "access token revoked" }] }) };
      },
    };
    const runId = await api.sync(s.id);
    const run = await api.terminal(runId);
    expect(run.status).toBe("FAILURE");
    expect(run.errorMessage).toMatch(/^Authentication failed: 401 from 127\.0\.0\.1:\d+/);
    expect(await snapshot(stack.db.pool, s.id, s.tenant)).toEqual(s.before);
    const test = await api.testConnection(s.id);
    expect(test.success).toBe(false);
    expect(test.message).toMatch(/401/);
    for (const t of s.proxy!.authorizations) if (t.length >= 8) evidence.secret(t);
    s.proxy!.hooks = {};
    await expectLoaded(s, await api.sync(s.id));
  }, 60_000);

  it("stops a listing whose pages never end with a clear error (page cap)", async () => {
    const s = await scenario("endless", { proxy: true });
    // For /users the server keeps sending full pages of new people and never says where the list ends.
    s.proxy!.hooks = {
      hidePaging: true,
      transform: (path, body, query) => {
        if (!path.endsWith("/users")) return body;
        const template = s.v2.users.at(0);
        const limit = Number(query.get("limit"));
        const offset = Number(query.get("offset"));
        return {
          users: Array.from({ length: limit }, (_, i) => ({ sourcedId: `endless-${offset + i}`, status: "active", role: "student", givenName: "Endless", familyName: `${template.familyName}${offset + i}`, orgs: [] })),
        };
      },
    };
    await expectFailedClean(s, await api.sync(s.id), /^OneRoster server kept returning pages of \/users after 40 pages; stopping \(paging never ended\)$/);
  }, 60_000);

  it("refuses JSON that is not the documented shape, and non-JSON, without touching the roster", async () => {
    const s = await scenario("shape", { proxy: true });
    s.proxy!.hooks = { transform: (path, body) => (path.endsWith("/classes") ? { classes: { sourcedId: "not-a-list" } } : body) };
    await expectFailedClean(s, await api.sync(s.id), /^OneRoster server answered \/classes without a "classes" list \(got classes\)$/);

    s.peer.setDistrict(s.v1);
    await expectLoaded({ ...s, v2: s.v1 }, await api.sync(s.id));
    const before = await snapshot(stack.db.pool, s.id, s.tenant);
    s.peer.setDistrict(s.v2);
    s.proxy!.hooks = { intercept: ({ path }) => (path.endsWith("/users") ? { status: 200, body: "<html><body>Please log in</body></html>", headers: { "content-type": "text/html" } } : undefined) };
    await expectFailedClean({ ...s, before }, await api.sync(s.id), /^OneRoster server at 127\.0\.0\.1:\d+ sent a response that is not JSON for \/ims\/oneroster\/v1p1\/users \(200, text\/html\)$/);

    // Records of the wrong shape inside a valid envelope are record errors, not a crash.
    s.peer.setDistrict(s.v1);
    await expectLoaded({ ...s, v2: s.v1 }, await api.sync(s.id));
    s.peer.setDistrict(s.v2);
    s.proxy!.hooks = {
      transform: (path, body) => (path.endsWith("/users") && Array.isArray(body.users) ? { users: [...(body.users as unknown[]), 42, null, { sourcedId: 7 }, { sourcedId: "x", role: { r: "student" }, givenName: { a: 1 } }] } : body),
    };
    const run = await api.terminal(await api.sync(s.id));
    expect(run.status).toBe("PARTIAL");
    expect(run.stats!.users.errors).toBeGreaterThanOrEqual(1);
    await expectRosterMatches(stack.db.pool, s.id, s.tenant, s.v2);
  }, 90_000);

  it("survives NUL characters and lone surrogates in SIS strings (Postgres text cannot hold NUL)", async () => {
    const s = await scenario("nul", { proxy: true });
    const poisoned = s.v2.users.at(3).id;
    s.proxy!.hooks = {
      transform: (path, body) =>
        path.endsWith("/users") && Array.isArray(body.users)
          ? { users: (body.users as Record<string, unknown>[]).map((u) => (u.sourcedId === poisoned ? { ...u, givenName: "Ro\u0000bert\ud800", familyName: "\u0000" } : u)) }
          : body,
    };
    const run = await api.terminal(await api.sync(s.id));
    // One poisoned record may be rejected (PARTIAL) or cleaned (SUCCESS); it must not fail the district's sync.
    expect({ status: run.status, errorMessage: run.errorMessage }).toEqual({ status: expect.stringMatching(/^(SUCCESS|PARTIAL)$/), errorMessage: null });
    const { rows } = await stack.db.pool.query("select count(*)::int as n from roster_user_sources where provider_id = $1 and status = 'active'", [s.id]);
    expect(rows[0].n).toBeGreaterThanOrEqual(s.v2.users.count - 1);
  }, 60_000);

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    expect(/log: .*"message":"sis http retry"/.test(evidence.logText())).toBe(true);
    // The grep finds a credential where there is one.
    const probe = new Evidence();
    probe.secret("planted-credential-0123");
    probe.add("somewhere", { detail: "Authentication failed with planted-credential-0123" });
    expect(probe.leaks()).toHaveLength(1);
    expect(evidence.size).toBeGreaterThan(10_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
