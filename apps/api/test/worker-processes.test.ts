import { DISTRICT_SIZES, generateDistrict, startOneRosterPeer, type OneRosterPeer } from "@sis-sync/sis-simulator";
import { startTestStack, waitFor, type TestStack } from "./support/test-stack";

/**
 * Real worker processes against the simulator's OneRoster peer (slowed down with its
 * latency fault so syncs overlap): the fleet-wide concurrency cap, SIGKILL and SIGTERM.
 */
describe("worker processes", () => {
  let stack: TestStack;
  let peer: OneRosterPeer;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack({ env: { MAX_CONCURRENT_SYNCS: "2", WORKER_CONCURRENCY: "2" } });
    peer = await startOneRosterPeer({ district: generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 7 }) });
    token = await stack.token({ roles: ["PLATFORM_ADMIN"] });
  });
  afterAll(async () => {
    await stack.close();
    await peer.close();
  });

  const provider = async () => {
    const { baseUrl, clientId, clientSecret } = peer.credentials;
    const res = await stack.request("POST", "/api/v1/providers", { token, body: { tenantId: "tp", providerType: "ONEROSTER_API", name: "OR", config: { baseUrl, clientId, clientSecret } } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const sync = async (providerId: string) => (await stack.request("POST", `/api/v1/providers/${providerId}/sync`, { token })).body.runId as string;
  const run = async (runId: string) => (await stack.request("GET", `/api/v1/runs/${runId}`, { token })).body;
  const terminal = (runId: string, timeoutMs = 60_000) =>
    waitFor(async () => {
      const r = await run(runId);
      return ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"].includes(r.status) && r;
    }, { timeoutMs, intervalMs: 200, what: `run ${runId} to end` });
  const liveCount = async () => {
    const r = await stack.db.pool.query("select count(*)::int as n from sis_sync_runs where status = 'IN_PROGRESS'");
    return r.rows[0].n as number;
  };
  const stop = (child: ReturnType<TestStack["spawnWorker"]>) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

  it("never runs more than MAX_CONCURRENT_SYNCS syncs across two worker processes", async () => {
    peer.setFaults({ latencyMs: 250 });
    const workers = [stack.spawnWorker(), stack.spawnWorker()];
    const ids = await Promise.all(Array.from({ length: 5 }, provider));
    const runIds = await Promise.all(ids.map(sync));
    let max = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        max = Math.max(max, await liveCount());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const results = await Promise.all(runIds.map((id) => terminal(id, 120_000)));
    done = true;
    await sampler;
    expect(results.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(max).toBe(2);
    workers.forEach((w) => w.kill("SIGTERM"));
    await Promise.all(workers.map(stop));
  }, 180_000);

  it("ends a SIGKILLed worker's run in a terminal state and the roster stays whole", async () => {
    peer.setFaults({ latencyMs: 700 });
    const id = await provider();
    const first = stack.spawnWorker();
    const runId = await sync(id);
    await waitFor(async () => (await run(runId)).status === "IN_PROGRESS", { timeoutMs: 30_000, what: "run to start" });
    await new Promise((r) => setTimeout(r, 1_000));
    first.kill("SIGKILL");
    await stop(first);
    peer.setFaults({ latencyMs: 0 });
    const second = stack.spawnWorker();
    const ended = await terminal(runId, 60_000);
    // BullMQ hands the dead worker's job to the next worker (retried once from the start),
    // or the lost-run sweep ends it FAILURE: either way it is not left IN_PROGRESS.
    if (ended.status === "FAILURE") expect(ended.errorMessage).toMatch(/worker lost/i);
    else expect(ended.status).toBe("SUCCESS");
    const next = await terminal(await sync(id), 60_000);
    expect(next.status).toBe("SUCCESS");
    const users = await stack.request("GET", `/api/v1/tenants/tp/users?providerId=${id}&status=active&limit=1`, { token });
    expect(users.body.total).toBe(generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 7 }).users.count);
    second.kill("SIGTERM");
    await stop(second);
  }, 180_000);

  it("on SIGTERM hands a long sync back, and another worker finishes it", async () => {
    peer.setFaults({ latencyMs: 1_500 });
    const id = await provider();
    const first = stack.spawnWorker({ WORKER_SHUTDOWN_GRACE_MS: "1000" });
    const runId = await sync(id);
    await waitFor(async () => (await run(runId)).status === "IN_PROGRESS", { timeoutMs: 30_000, what: "run to start" });
    first.kill("SIGTERM");
    await stop(first);
    expect(first.exitCode).toBe(0);
    const handedBack = await run(runId);
    expect(handedBack.status).toBe("PENDING");
    expect(handedBack.errorMessage).toMatch(/handed back/i);
    peer.setFaults({ latencyMs: 0 });
    const second = stack.spawnWorker();
    const ended = await terminal(runId, 60_000);
    expect(ended.status).toBe("SUCCESS");
    second.kill("SIGTERM");
    await stop(second);
  }, 180_000);
});
