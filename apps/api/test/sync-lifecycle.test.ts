import { scriptedConnector } from "./support/scripted-connector";
import { startTestStack, waitFor, type TestStack } from "./support/test-stack";

const cleverConfig = { clientId: "c", clientSecret: "s", districtId: "d" };

describe("sync lifecycle with an in-process worker", () => {
  let stack: TestStack;
  let token: string;
  let pageDelayMs = 0;

  beforeAll(async () => {
    stack = await startTestStack({ inProcessWorker: true, connectorFactory: () => scriptedConnector({ pages: 20, pageDelayMs }) });
    token = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "t1" });
  });
  afterAll(() => stack.close());

  const newProvider = async (extra: Record<string, unknown> = {}) =>
    (await stack.request("POST", "/api/v1/providers", { token, body: { tenantId: "t1", providerType: "CLEVER", name: "P", config: cleverConfig, ...extra } })).body;
  const runOf = async (runId: string) => (await stack.request("GET", `/api/v1/runs/${runId}`, { token })).body;
  const finished = (runId: string) =>
    waitFor(async () => {
      const r = await runOf(runId);
      return ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"].includes(r.status) && r;
    }, { what: `run ${runId} to finish` });

  it("runs a manual sync to SUCCESS, records stats and lastSyncAt, and a re-run changes nothing", async () => {
    pageDelayMs = 0;
    const p = await newProvider();
    const { body } = await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token });
    const run = await finished(body.runId);
    expect(run).toMatchObject({ status: "SUCCESS", isManual: true, phase: "done", errorMessage: null });
    expect(run.stats.users).toEqual({ created: 20, updated: 0, deactivated: 0, unchanged: 0, errors: 0 });
    expect(run.stats.schools.created).toBe(1);
    const status = await stack.request("GET", `/api/v1/providers/${p.id}/sync/status`, { token });
    expect(status.body).toMatchObject({ isRunning: false, lastStatus: "SUCCESS" });
    expect(status.body.lastSync).not.toBeNull();
    const users = await stack.request("GET", `/api/v1/tenants/t1/users?providerId=${p.id}&limit=200`, { token });
    expect(users.body.total).toBe(20);
    expect(users.body.data[0]).toMatchObject({ tenantId: "t1", status: "active", role: "teacher", sources: [{ providerId: p.id, externalId: expect.any(String) }] });

    const again = await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token });
    const second = await finished(again.body.runId);
    expect(second.stats.users).toEqual({ created: 0, updated: 0, deactivated: 0, unchanged: 20, errors: 0 });
  });

  it("cancels a running sync within 5 seconds and deactivates nothing", async () => {
    pageDelayMs = 0;
    const p = await newProvider();
    await finished((await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token })).body.runId);
    pageDelayMs = 500;
    const { body } = await stack.request("POST", `/api/v1/providers/${p.id}/sync`, { token });
    await waitFor(async () => (await runOf(body.runId)).status === "IN_PROGRESS", { what: "run to start" });
    const asked = Date.now();
    const cancel = await stack.request("POST", `/api/v1/providers/${p.id}/sync/cancel`, { token });
    expect(cancel.status).toBe(202);
    expect(cancel.body.runId).toBe(body.runId);
    const run = await finished(body.runId);
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect(run.status).toBe("CANCELLED");
    expect(run.errorMessage).toMatch(/cancel/i);
    const inactive = await stack.request("GET", `/api/v1/tenants/t1/users?providerId=${p.id}&status=inactive`, { token });
    expect(inactive.body.total).toBe(0);
  });

  it("fires a `* * * * *` schedule as a non-manual run and stops when the schedule is cleared", async () => {
    pageDelayMs = 0;
    const p = await newProvider({ syncSchedule: "* * * * *" });
    const run = await waitFor(
      async () => {
        const runs = (await stack.request("GET", `/api/v1/providers/${p.id}/runs`, { token })).body.data;
        return runs.find((r: { status: string }) => r.status === "SUCCESS");
      },
      { timeoutMs: 75_000, intervalMs: 1_000, what: "a scheduled run" },
    );
    expect(run.isManual).toBe(false);
    await stack.request("PATCH", `/api/v1/providers/${p.id}`, { token, body: { syncSchedule: null } });
    expect((await stack.api.producer.listSchedules()).some((s) => s.providerId === p.id)).toBe(false);
    const after = (await stack.request("GET", `/api/v1/providers/${p.id}/runs`, { token })).body.total;
    await new Promise((r) => setTimeout(r, 61_000));
    expect((await stack.request("GET", `/api/v1/providers/${p.id}/runs`, { token })).body.total).toBe(after);
  }, 180_000);

  it("does not duplicate or lose schedulers when the API restarts", async () => {
    const a = await newProvider({ syncSchedule: "daily" });
    const b = await newProvider({ syncSchedule: "weekly", syncTimezone: "Europe/Paris" });
    const before = await stack.api.producer.listSchedules();
    // A scheduler left behind by a provider deleted while the API was down is removed on start-up.
    await stack.api.producer.upsertSchedule({ providerId: "00000000-0000-4000-8000-000000000000", cron: "0 3 * * *", timezone: "UTC" });
    await stack.restartApi();
    await stack.restartApi();
    const after = await stack.api.producer.listSchedules();
    expect(after.map((s) => s.providerId).sort()).toEqual(before.map((s) => s.providerId).sort());
    expect(after.filter((s) => s.providerId === a.id)).toHaveLength(1);
    expect(after.find((s) => s.providerId === b.id)).toMatchObject({ pattern: "0 0 * * 0", tz: "Europe/Paris" });
  });
});
