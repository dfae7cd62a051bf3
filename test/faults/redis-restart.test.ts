import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { DISTRICT_SIZES, generateDistrict, mutate, startOneRosterPeer, type OneRosterPeer } from "../../packages/sis-simulator/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, expectRosterMatches, expectRunsSettled, freePort, sleep, snapshot, startEvidenceStack, stopped, waitFor } from "./support/fault-kit";

/**
 * Redis restarted mid-sync (issue #8): a throwaway redis-server of this test's own (never the
 * shared one), killed while a worker process runs a sync and started again empty on the same
 * port. The workers and the API reconnect; the run ends (finished, or FAILURE with a message and
 * the roster untouched); the next sync succeeds.
 */
const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = connect(port, "127.0.0.1");
    sock.once("connect", () => (sock.destroy(), resolve(true)));
    sock.once("error", () => resolve(false));
  });

function startRedis(port: number): ChildProcess {
  return spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], { stdio: "ignore" });
}

describe("fault suite: Redis restarted mid-sync", () => {
  const evidence = new Evidence();
  let port: number;
  let redis: ChildProcess;
  let stack: TestStack;
  let peer: OneRosterPeer;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = startRedis(port);
    await waitFor(() => accepting(port), { timeoutMs: 10_000, what: "redis-server to listen" });
    stack = await startEvidenceStack(evidence, { redisUrl: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    await Promise.all(workers.map(stopped));
    await stack?.close().catch(() => undefined);
    await peer?.close();
    if (redis.exitCode === null && redis.signalCode === null) redis.kill("SIGKILL");
    await stopped(redis);
  });

  it("ends the run, reconnects every process, and the next sync succeeds", async () => {
    const api = apiOf(stack, await stack.token({ roles: ["PLATFORM_ADMIN"] }));
    workers.push(stack.spawnWorker(), stack.spawnWorker());
    const v1 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 909 });
    peer = await startOneRosterPeer({ district: v1 });
    const { baseUrl, clientId, clientSecret } = peer.credentials;
    evidence.secret(clientSecret);
    const id = await api.provider("t-redis", "ONEROSTER_API", { baseUrl, clientId, clientSecret }, { options: { maxDeactivationRatio: 0.5 } });
    expect(await api.terminal(await api.sync(id))).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, "t-redis", v1);
    const before = await snapshot(stack.db.pool, id, "t-redis");
    const v2 = mutate(v1, { seed: 910, withdrawStudents: 0.1, newStudents: 0.1, changeNames: 0.1 }).district;
    peer.setDistrict(v2);

    peer.setFaults({ latencyMs: 500 });
    const runId = await api.sync(id);
    await api.inPhase(runId, "extract");
    await sleep(600);
    redis.kill("SIGKILL");
    await stopped(redis);
    // While Redis is down the API says so instead of hanging.
    const down = await stack.request("GET", "/readyz");
    expect(down.status).toBe(503);
    await sleep(1_500);
    redis = startRedis(port);
    await waitFor(() => accepting(port), { timeoutMs: 10_000, what: "redis-server to come back" });
    peer.setFaults({});

    const ended = await api.terminal(runId, 90_000);
    if (ended.status === "SUCCESS") {
      await expectRosterMatches(stack.db.pool, id, "t-redis", v2);
    } else {
      expect(ended.status).toBe("FAILURE");
      expect(ended.errorMessage).toEqual(expect.stringMatching(/\w{4,}.*\w{4,}/));
      expect(await snapshot(stack.db.pool, id, "t-redis")).toEqual(before);
    }
    await waitFor(async () => (await stack.request("GET", "/readyz")).status === 200, { timeoutMs: 20_000, what: "the API to reconnect" });
    const next = await waitFor(
      async () => {
        const res = await stack.request("POST", `/api/v1/providers/${id}/sync`, { token: await stack.token({ roles: ["PLATFORM_ADMIN"] }) });
        return res.status === 202 && (res.body.runId as string);
      },
      { timeoutMs: 20_000, intervalMs: 500, what: "a sync to be accepted again" },
    );
    expect(await api.terminal(next, 60_000)).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, "t-redis", v2);
    expect(workers.every((w) => w.exitCode === null && w.signalCode === null)).toBe(true);
  }, 180_000);

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    expect(evidence.size).toBeGreaterThan(5_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
