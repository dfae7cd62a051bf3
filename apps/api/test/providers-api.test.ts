import { eq } from "drizzle-orm";
import { sisProviders } from "@sis-sync/db";
import { startTestStack, type TestStack } from "./support/test-stack";

const cleverConfig = { clientId: "clever-client", clientSecret: "clever-super-secret-1", districtId: "d-1" };

describe("providers API", () => {
  let stack: TestStack;
  let platform: string;
  let adminA: string;
  let adminB: string;

  beforeAll(async () => {
    stack = await startTestStack();
    platform = await stack.token({ roles: ["PLATFORM_ADMIN"] });
    adminA = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "tenant-a" });
    adminB = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "tenant-b" });
  });
  afterAll(() => stack.close());

  const create = (token: string, body: Record<string, unknown>) => stack.request("POST", "/api/v1/providers", { token, body });

  it("creates a provider, returns secrets masked and stores the config encrypted", async () => {
    const res = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "Clever", config: cleverConfig, syncSchedule: "daily", syncTimezone: "America/Chicago" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenantId: "tenant-a", providerType: "CLEVER", name: "Clever", enabled: true, syncSchedule: "daily", syncTimezone: "America/Chicago", lastSyncAt: null });
    expect(res.body.config).toEqual({ clientId: "clever-client", clientSecret: "********", districtId: "d-1" });
    expect(res.body.options).toEqual({ createUsers: true, maxDeactivationRatio: 0.2, syncMode: "full", fullSyncEvery: 7 });
    expect(new Date(res.body.nextSyncAt).getTime()).toBeGreaterThan(Date.now());

    const [row] = await stack.db.db.select().from(sisProviders).where(eq(sisProviders.id, res.body.id));
    expect(row.configEncrypted).not.toContain("clever-super-secret-1");
    expect(row.configEncrypted).not.toContain("clever-client");
    expect(row.configEncrypted.startsWith("v1.k1.")).toBe(true);

    const schedules = await stack.api.producer.listSchedules();
    expect(schedules).toEqual([expect.objectContaining({ providerId: res.body.id, pattern: "0 2 * * *", tz: "America/Chicago" })]);
  });

  it("keeps a secret on PATCH with the mask and replaces it when a new one is sent", async () => {
    const { body: p } = await create(adminA, { tenantId: "tenant-a", providerType: "ONEROSTER_API", name: "OR", config: { baseUrl: "https://or.example.com/ims/oneroster/v1p1", clientId: "c", clientSecret: "first-secret" } });
    const patched = await stack.request("PATCH", `/api/v1/providers/${p.id}`, { token: adminA, body: { name: "Renamed", config: { clientId: "c2", clientSecret: "********" } } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe("Renamed");
    expect(patched.body.config).toEqual({ baseUrl: "https://or.example.com/ims/oneroster/v1p1", clientId: "c2", clientSecret: "********" });
    const cipher = new (await import("@sis-sync/db")).ConfigCipher(stack.config.encryptionKeys);
    const read = async () => {
      const [row] = await stack.db.db.select().from(sisProviders).where(eq(sisProviders.id, p.id));
      return cipher.decrypt<Record<string, string>>(row.configEncrypted, p.id);
    };
    expect((await read()).clientSecret).toBe("first-secret");
    await stack.request("PATCH", `/api/v1/providers/${p.id}`, { token: adminA, body: { config: { clientSecret: "second-secret" } } });
    expect((await read()).clientSecret).toBe("second-secret");
  });

  it("rejects bad config, unknown fields, bad cron and bad timezones with field errors", async () => {
    const missing = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: { clientId: "a" } });
    expect(missing.status).toBe(422);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["config.clientSecret", "config.districtId"]));

    const extra = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: { ...cleverConfig, surprise: 1 } });
    expect(extra.status).toBe(422);
    const unknownTop = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: cleverConfig, colour: "red" });
    expect(unknownTop.status).toBe(422);

    const cron = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: cleverConfig, syncSchedule: "every tuesday", syncTimezone: "Mars/Base" });
    expect(cron.status).toBe(422);
    expect(cron.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["syncSchedule", "syncTimezone"]);

    const sftp = await create(adminA, { tenantId: "tenant-a", providerType: "ONEROSTER_CSV", name: "x", config: { sftp: { host: "h", username: "u", password: "p", privateKey: "k" }, remotePath: "relative/path" } });
    expect(sftp.status).toBe(422);
    expect(sftp.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["config.remotePath", "config.sftp"]));
  });

  it("answers 400 to malformed JSON and 413 to huge bodies", async () => {
    expect((await stack.request("POST", "/api/v1/providers", { token: adminA, raw: "{not json" })).status).toBe(400);
    const huge = JSON.stringify({ tenantId: "tenant-a", providerType: "CLEVER", name: "x".repeat(400_000), config: cleverConfig });
    expect((await stack.request("POST", "/api/v1/providers", { token: adminA, raw: huge })).status).toBe(413);
  });

  it("enforces the auth matrix of api.md", async () => {
    const { body: p } = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "Auth", config: cleverConfig });
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers")).status).toBe(401);
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { token: "garbage" })).status).toBe(401);
    const expired = await stack.token({ roles: ["PLATFORM_ADMIN"], expiresIn: "-1m" });
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { token: expired })).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "x", roles: ["PLATFORM_ADMIN"], exp: 9999999999 })).toString("base64url")}.`;
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { token: none })).status).toBe(401);
    const teacher = await stack.token({ roles: ["TEACHER"], tenantId: "tenant-a" });
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { token: teacher })).status).toBe(403);

    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers", { token: adminB })).status).toBe(403);
    expect((await create(adminB, { tenantId: "tenant-a", providerType: "CLEVER", name: "x", config: cleverConfig })).status).toBe(403);
    for (const [method, path] of [
      ["GET", `/api/v1/providers/${p.id}`],
      ["PATCH", `/api/v1/providers/${p.id}`],
      ["DELETE", `/api/v1/providers/${p.id}`],
      ["POST", `/api/v1/providers/${p.id}/sync`],
      ["GET", `/api/v1/providers/${p.id}/runs`],
    ]) {
      expect((await stack.request(method, path, { token: adminB, body: method === "PATCH" ? { name: "hijack" } : undefined })).status).toBe(404);
    }
    expect((await stack.request("GET", `/api/v1/providers/${p.id}`, { token: platform })).status).toBe(200);
    expect((await stack.request("GET", `/api/v1/providers/not-a-uuid`, { token: platform })).status).toBe(404);

    const list = await stack.request("GET", "/api/v1/tenants/tenant-a/providers?limit=2&offset=0", { token: adminA });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ limit: 2, offset: 0 });
    expect(list.body.data).toHaveLength(2);
    expect(list.body.total).toBeGreaterThanOrEqual(3);
    expect((await stack.request("GET", "/api/v1/tenants/tenant-a/providers?limit=500", { token: adminA })).status).toBe(400);
  });

  it("stores script and SQL strings as data and returns them unchanged", async () => {
    const name = `<script>alert(1)</script>'; drop table sis_providers; --`;
    const res = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name, config: cleverConfig });
    expect(res.status).toBe(201);
    expect((await stack.request("GET", `/api/v1/providers/${res.body.id}`, { token: adminA })).body.name).toBe(name);
  });

  it("queues one live run per provider, answers 409 with its id, and 422 when disabled", async () => {
    const { body: p } = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "Sync", config: cleverConfig });
    const first = await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token: adminA, body: { dryRun: true } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ runId: expect.any(String), status: "PENDING" });
    const results = await Promise.all(Array.from({ length: 10 }, () => stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token: adminA })));
    expect(results.every((r) => r.status === 409)).toBe(true);
    expect(results[0].body.runId).toBe(first.body.runId);

    const status = await stack.request("GET", `/api/v1/providers/${p.id}/sync/status`, { token: adminA });
    expect(status.body).toMatchObject({ isRunning: true, lastSync: null, lastStatus: null, currentRun: { id: first.body.runId, status: "PENDING" } });
    const run = await stack.request("GET", `/api/v1/runs/${first.body.runId}`, { token: adminA });
    expect(run.body).toMatchObject({ id: first.body.runId, providerId: p.id, status: "PENDING", isManual: true, dryRun: true, stats: null });
    expect((await stack.request("GET", `/api/v1/runs/${first.body.runId}`, { token: adminB })).status).toBe(404);

    // No worker runs in this file: the cancel removes the waiting job and ends the run at once.
    const cancel = await stack.request("POST", `/api/v1/providers/${p.id}/sync/cancel`, { token: adminA });
    expect(cancel.body).toEqual({ runId: first.body.runId, status: "CANCELLED" });
    expect((await stack.request("POST", `/api/v1/providers/${p.id}/sync/cancel`, { token: adminA })).status).toBe(409);
    const runs = await stack.request("GET", `/api/v1/providers/${p.id}/runs`, { token: adminA });
    expect(runs.body.data.map((r: { status: string }) => r.status)).toEqual(["CANCELLED"]);

    await stack.request("PATCH", `/api/v1/providers/${p.id}`, { token: adminA, body: { enabled: false } });
    const disabled = await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token: adminA });
    expect(disabled.status).toBe(422);
    expect(disabled.body.detail).toBe("Provider disabled");
  });

  it("deletes a provider: gone from the API and its schedule, history kept", async () => {
    const { body: p } = await create(adminA, { tenantId: "tenant-a", providerType: "CLEVER", name: "Del", config: cleverConfig, syncSchedule: "hourly" });
    expect((await stack.api.producer.listSchedules()).some((s) => s.providerId === p.id)).toBe(true);
    expect((await stack.request("DELETE", `/api/v1/providers/${p.id}`, { token: adminA })).status).toBe(204);
    expect((await stack.request("GET", `/api/v1/providers/${p.id}`, { token: adminA })).status).toBe(404);
    expect((await stack.api.producer.listSchedules()).some((s) => s.providerId === p.id)).toBe(false);
    const [row] = await stack.db.db.select().from(sisProviders).where(eq(sisProviders.id, p.id));
    expect(row.deletedAt).not.toBeNull();
  });

  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await stack.request("GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await stack.request("GET", "/readyz")).body).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
    const metrics = await stack.request("GET", "/metrics");
    expect(metrics.body).toContain("sis_http_request_duration_seconds");
    expect(metrics.body).toMatch(/sis_sync_runs\{status="CANCELLED"\} \d+/);
    expect(metrics.body).toContain("sis_sync_queue_jobs");
    const doc = await stack.request("GET", "/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/api/v1/providers", "/api/v1/providers/{providerId}/sync"]));
    expect((await stack.request("GET", "/docs/")).status).toBe(200);
  });

  it("guards Bull Board: 401 without a token, 403 for a district admin, open to a platform admin via cookie", async () => {
    expect((await stack.request("GET", "/admin/queues")).status).toBe(401);
    expect((await stack.request("GET", "/admin/queues", { token: adminA })).status).toBe(403);
    const session = await stack.request("POST", "/admin/session", { token: platform });
    expect(session.status).toBe(204);
    const cookie = session.headers.get("set-cookie")!.split(";")[0];
    expect(cookie).toMatch(/^sis_admin_session=/);
    const board = await stack.request("GET", "/admin/queues", { headers: { cookie } });
    expect(board.status).toBe(200);
  });
});
