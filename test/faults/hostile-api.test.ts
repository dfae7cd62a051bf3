import { createHmac } from "node:crypto";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, startEvidenceStack, expectRunsSettled } from "./support/fault-kit";

/**
 * Hostile and bad input at the API (issue #8), beyond the auth matrix and validation basics of
 * apps/api/test/providers-api.test.ts: every answer is a problem+json 4xx, never a 500, never
 * an echo of a secret, and nothing hostile is stored in a form that changes its meaning.
 */
const SECRET = "hostile-api-client-secret-0x5eed";
const clever = { clientId: "clever-client", clientSecret: SECRET, districtId: "d-1" };

describe("fault suite: hostile API input", () => {
  const evidence = new Evidence();
  let stack: TestStack;
  let platform: string;
  let adminA: string;
  let adminB: string;
  let providerA: string;

  beforeAll(async () => {
    stack = await startEvidenceStack(evidence);
    evidence.secret(SECRET);
    platform = await stack.token({ roles: ["PLATFORM_ADMIN"] });
    adminA = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "tenant-a" });
    adminB = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "tenant-b" });
    const res = await stack.request("POST", "/api/v1/providers", { token: adminA, body: { tenantId: "tenant-a", providerType: "CLEVER", name: "A", config: clever } });
    expect(res.status).toBe(201);
    providerA = res.body.id;
  });
  afterAll(() => stack?.close());

  const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number) => {
    expect({ status: res.status, type: res.headers.get("content-type")?.split(";")[0] }).toEqual({ status, type: "application/problem+json" });
    expect(res.body).toMatchObject({ status, title: expect.any(String) });
  };

  it("answers malformed JSON with 400 on every route that takes a body", async () => {
    const bodies = ["{not json", '{"name": "x",}', "[1, 2", '{"a":"\\u12"}', "\u0000\u0001", "nul"];
    const routes: [string, string][] = [
      ["POST", "/api/v1/providers"],
      ["PATCH", `/api/v1/providers/${providerA}`],
      ["POST", `/api/v1/providers/${providerA}/sync`],
    ];
    for (const [method, path] of routes) {
      for (const raw of bodies) expectProblem(await stack.request(method, path, { token: adminA, raw }), 400);
    }
  });

  it("refuses JSON of the wrong shape and wrong types with 422 field errors", async () => {
    const stored = (await stack.request("GET", `/api/v1/providers/${providerA}`, { token: adminA })).body;
    for (const raw of ["null", "[]", '"a string"', "42", "true"]) {
      const res = await stack.request("POST", "/api/v1/providers", { token: adminA, raw });
      expect([400, 422]).toContain(res.status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    const wrong = await stack.request("POST", "/api/v1/providers", {
      token: adminA,
      body: { tenantId: "tenant-a", providerType: "CLEVER", name: 42, enabled: "yes", config: clever, options: { createUsers: "false", maxDeactivationRatio: "0.5" } },
    });
    expectProblem(wrong, 422);
    expect(wrong.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["name", "enabled"]));
    const ratio = await stack.request("PATCH", `/api/v1/providers/${providerA}`, { token: adminA, body: { options: { maxDeactivationRatio: 5 } } });
    expectProblem(ratio, 422);
    const negative = await stack.request("PATCH", `/api/v1/providers/${providerA}`, { token: adminA, body: { options: { maxDeactivationRatio: -0.1 } } });
    expectProblem(negative, 422);
    const type = await stack.request("POST", "/api/v1/providers", { token: adminA, body: { tenantId: "tenant-a", providerType: "POWERSCHOOL", name: "x", config: clever } });
    expectProblem(type, 422);
    const configType = await stack.request("PATCH", `/api/v1/providers/${providerA}`, { token: adminA, body: { config: { clientSecret: 12345678 } } });
    expectProblem(configType, 422);
    const syncBody = await stack.request("POST", `/api/v1/providers/${providerA}/sync`, { token: adminA, body: { dryRun: "yes" } });
    expectProblem(syncBody, 422);
    for (const q of ["limit=abc", "limit=0", "limit=-5", "offset=-1", "limit=1e3", "offset=abc"]) {
      const res = await stack.request("GET", `/api/v1/tenants/tenant-a/providers?${q}`, { token: adminA });
      expect({ q, status: res.status }).toEqual({ q, status: expect.any(Number) });
      expect([400, 422]).toContain(res.status);
    }
    // Nothing of it was stored.
    const p = await stack.request("GET", `/api/v1/providers/${providerA}`, { token: adminA });
    expect(p.body.options).toEqual(stored.options);
    expect(p.body.config).toEqual(stored.config);
    expect(p.body.options).toMatchObject({ createUsers: true, maxDeactivationRatio: 0.2 });
  });

  it("refuses unknown fields on PATCH, in options and in the sync body, and cannot move a provider to another tenant", async () => {
    for (const body of [{ colour: "red" }, { options: { deleteEverything: true } }, { tenantId: "tenant-b" }, { providerType: "CLASSLINK" }, { id: "00000000-0000-4000-8000-000000000000" }]) {
      expectProblem(await stack.request("PATCH", `/api/v1/providers/${providerA}`, { token: adminA, body }), 422);
    }
    expectProblem(await stack.request("POST", `/api/v1/providers/${providerA}/sync`, { token: adminA, body: { dryRun: true, mode: "nuke" } }), 422);
    const p = await stack.request("GET", `/api/v1/providers/${providerA}`, { token: platform });
    expect(p.body).toMatchObject({ tenantId: "tenant-a", providerType: "CLEVER", id: providerA });
  });

  it("answers 413 to huge bodies on every body route, and refuses a deeply nested body", async () => {
    const huge = JSON.stringify({ name: "x".repeat(2_000_000) });
    for (const [method, path] of [
      ["POST", "/api/v1/providers"],
      ["PATCH", `/api/v1/providers/${providerA}`],
      ["POST", `/api/v1/providers/${providerA}/sync`],
    ]) {
      expectProblem(await stack.request(method, path, { token: adminA, raw: huge }), 413);
    }
    // Deeply nested JSON within the size limit: refused, not a stack overflow.
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const res = await stack.request("POST", "/api/v1/providers", { token: adminA, raw: deep });
    expect([400, 413, 422]).toContain(res.status);
    expect((await stack.request("GET", "/healthz")).status).toBe(200);
  });

  it("stores SQL and script strings as data in every text field and filter, and serves them back as JSON", async () => {
    const evil = `<script>alert('x')</script>"; drop table roster_users; -- ' or 1=1 --`;
    const created = await stack.request("POST", "/api/v1/providers", {
      token: adminA,
      body: { tenantId: "tenant-a", providerType: "ONEROSTER_API", name: evil, config: { baseUrl: "https://or.example.com/ims/oneroster/v1p1", clientId: evil, clientSecret: SECRET } },
    });
    expect(created.status).toBe(201);
    const got = await stack.request("GET", `/api/v1/providers/${created.body.id}`, { token: adminA });
    expect(got.body.name).toBe(evil);
    expect(got.body.config.clientId).toBe(evil);
    expect(got.headers.get("content-type")).toContain("application/json");
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    for (const q of [`email=${encodeURIComponent("' or 1=1 --")}`, `externalId=${encodeURIComponent("x'; drop table roster_users; --")}`, `role=${encodeURIComponent("student' or 'a'='a")}`, `providerId=${encodeURIComponent("' or 1=1 --")}`]) {
      const res = await stack.request("GET", `/api/v1/tenants/tenant-a/users?${q}`, { token: adminA });
      expect({ q, ok: [200, 400, 422].includes(res.status) }).toEqual({ q, ok: true });
      if (res.status === 200) expect(res.body.total).toBe(0);
    }
    const tenantPath = await stack.request("GET", `/api/v1/tenants/${encodeURIComponent("tenant-a' or '1'='1")}/providers`, { token: platform });
    expect(tenantPath.status).toBe(200);
    expect(tenantPath.body.total).toBe(0);
    // The tables are all still there.
    const { rows } = await stack.db.pool.query("select count(*)::int as n from roster_users");
    expect(rows[0].n).toBe(0);
    const list = await stack.request("GET", "/api/v1/tenants/tenant-a/providers?limit=200", { token: adminA });
    expect(list.body.data.map((p: { name: string }) => p.name)).toContain(evil);
  });

  it("refuses cron and timezone nonsense, including schedules that never fire", async () => {
    const bad: [string | number | null, string | null][] = [
      ["* * * * * * *", null],
      ["61 * * * *", null],
      ["* * 32 * *", null],
      ["@reboot", null],
      ["0 0 31 2 *", null],
      ["'; drop table sis_providers; --", null],
      ["*/0 * * * *", null],
      [" ".repeat(50), null],
      [42, null],
      ["daily", "UTC+5"],
      ["daily", "../../etc/passwd"],
      ["daily", "America/Atlantis"],
      ["daily", "x".repeat(200)],
      ["daily", ""],
    ];
    for (const [syncSchedule, syncTimezone] of bad) {
      const body: Record<string, unknown> = { tenantId: "tenant-a", providerType: "CLEVER", name: "cron", config: clever, syncSchedule };
      if (syncTimezone !== null) body.syncTimezone = syncTimezone;
      const res = await stack.request("POST", "/api/v1/providers", { token: adminA, body });
      expect({ syncSchedule, syncTimezone, status: res.status }).toEqual({ syncSchedule, syncTimezone, status: 422 });
      const patch = await stack.request("PATCH", `/api/v1/providers/${providerA}`, { token: adminA, body: { syncSchedule, ...(syncTimezone !== null ? { syncTimezone } : {}) } });
      expect({ syncSchedule, syncTimezone, patch: patch.status }).toEqual({ syncSchedule, syncTimezone, patch: 422 });
    }
    const p = await stack.request("GET", `/api/v1/providers/${providerA}`, { token: adminA });
    expect(p.body).toMatchObject({ syncSchedule: null, nextSyncAt: null });
    expect((await stack.api.producer.listSchedules()).filter((s) => s.providerId === providerA)).toEqual([]);
  });

  it("never reveals another tenant's providers, runs, errors or roster", async () => {
    const sync = await stack.request("POST", `/api/v1/providers/${providerA}/sync`, { token: adminA, body: { dryRun: true } });
    expect(sync.status).toBe(202);
    const runId = sync.body.runId;
    for (const [method, path] of [
      ["GET", `/api/v1/runs/${runId}`],
      ["GET", `/api/v1/runs/${runId}/errors`],
      ["POST", `/api/v1/providers/${providerA}/test`],
      ["POST", `/api/v1/providers/${providerA}/sync/cancel`],
      ["GET", `/api/v1/providers/${providerA}/sync/status`],
    ]) {
      const res = await stack.request(method, path, { token: adminB });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
    }
    for (const kind of ["schools", "classes", "users", "enrollments"]) {
      expect((await stack.request("GET", `/api/v1/tenants/tenant-a/${kind}`, { token: adminB })).status).toBe(403);
      const filtered = await stack.request("GET", `/api/v1/tenants/tenant-b/${kind}?providerId=${providerA}`, { token: adminB });
      expect(filtered.status).toBe(200);
      expect(filtered.body.total).toBe(0);
    }
    // A district admin's token naming its tenant in a body does not reach another tenant.
    expect((await stack.request("POST", "/api/v1/providers", { token: adminB, body: { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: clever } })).status).toBe(403);
    expect((await stack.request("GET", `/api/v1/runs/${runId}`, { token: adminA })).status).toBe(200);
    await stack.request("POST", `/api/v1/providers/${providerA}/sync/cancel`, { token: adminA });
  });

  it("refuses forged, expired, alg:none, wrong-algorithm and malformed tokens", async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "attacker", roles: ["PLATFORM_ADMIN"], exp: now + 3600, iat: now };
    const sign = (header: unknown, payload: unknown, key: string, alg = "sha256") => {
      const data = `${b64(header)}.${b64(payload)}`;
      return `${data}.${createHmac(alg, key).update(data).digest("base64url")}`;
    };
    const tokens: Record<string, string> = {
      forged: sign({ alg: "HS256", typ: "JWT" }, claims, "not-the-secret"),
      none: `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`,
      NONE: `${b64({ alg: "NONE" })}.${b64(claims)}.`,
      noneWithSig: `${b64({ alg: "none" })}.${b64(claims)}.${"A".repeat(43)}`,
      hs512: sign({ alg: "HS512", typ: "JWT" }, claims, stack.env.AUTH_JWT_SECRET, "sha512"),
      expired: sign({ alg: "HS256" }, { ...claims, exp: now - 60 }, stack.env.AUTH_JWT_SECRET),
      notYet: sign({ alg: "HS256" }, { ...claims, nbf: now + 3600 }, stack.env.AUTH_JWT_SECRET),
      // The right key, but the signature of another payload.
      spliced: (() => {
        const real = sign({ alg: "HS256" }, { ...claims, roles: ["TEACHER"] }, stack.env.AUTH_JWT_SECRET);
        const [h, , s] = real.split(".");
        return `${h}.${b64(claims)}.${s}`;
      })(),
      twoParts: `${b64({ alg: "HS256" })}.${b64(claims)}`,
      garbage: "a.b.c",
      empty: "",
      huge: `${b64({ alg: "HS256" })}.${"A".repeat(100_000)}.x`,
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { headers: { authorization: `Bearer ${token}` } });
      expect({ name, status: res.status }).toEqual({ name, status: name === "huge" ? expect.any(Number) : 401 });
      expect([401, 413, 431]).toContain(res.status);
    }
    for (const header of ["Basic dXNlcjpwYXNz", `bearer${platform}`, `Bearer  ${platform} extra`, `Token ${platform}`]) {
      const res = await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { headers: { authorization: header } });
      expect({ header: header.slice(0, 12), status: res.status }).toEqual({ header: header.slice(0, 12), status: 401 });
    }
    // Claims of the wrong type from a correctly signed token give no access.
    const rolesString = sign({ alg: "HS256" }, { ...claims, roles: "PLATFORM_ADMIN" }, stack.env.AUTH_JWT_SECRET);
    expect([401, 403]).toContain((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { headers: { authorization: `Bearer ${rolesString}` } })).status);
    const tenantArray = sign({ alg: "HS256" }, { ...claims, roles: ["DISTRICT_ADMIN"], tenantId: ["tenant-a", "tenant-b"] }, stack.env.AUTH_JWT_SECRET);
    expect([401, 403]).toContain((await stack.request("GET", "/api/v1/tenants/tenant-b/providers", { headers: { authorization: `Bearer ${tenantArray}` } })).status);
  });

  it("keeps exactly one live run under a flood of concurrent sync requests", async () => {
    const created = await stack.request("POST", "/api/v1/providers", { token: adminA, body: { tenantId: "tenant-a", providerType: "CLEVER", name: "Flood", config: clever } });
    const id = created.body.id;
    const results = await Promise.all(Array.from({ length: 40 }, () => stack.request("POST", `/api/v1/providers/${id}/sync`, { token: adminA })));
    const accepted = results.filter((r) => r.status === 202);
    const conflicts = results.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(conflicts).toHaveLength(39);
    expect(new Set(conflicts.map((r) => r.body.runId))).toEqual(new Set([accepted[0].body.runId]));
    const { rows } = await stack.db.pool.query("select status, count(*)::int as n from sis_sync_runs where provider_id = $1 group by status", [id]);
    expect(rows).toEqual([{ status: "PENDING", n: 1 }]);
    const jobs = await stack.api.producer.queue.getJobCounts("waiting", "prioritized", "delayed", "active");
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    await stack.request("POST", `/api/v1/providers/${id}/sync/cancel`, { token: adminA });
  });

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    expect(evidence.size).toBeGreaterThan(10_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
