import type { ChildProcess } from "node:child_process";
import { DISTRICT_SIZES, generateDistrict, mutate, startOneRosterPeer, type District, type OneRosterPeer } from "../../packages/sis-simulator/src";
import { startApi } from "../../apps/api/src";
import { createLogger } from "@sis-sync/logger";
import { createDb } from "../../packages/db/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, expectRosterMatches, expectRunsSettled, sleep, snapshot, spawnReadyWorker, startEvidenceStack, stopped, waitFor } from "./support/fault-kit";

/** The engine's per-tenant roster lock (packages/sync-engine/src/execute-sync.ts, ROSTER_LOCK_NAMESPACE). */
const ROSTER_LOCK_NAMESPACE = 0x5150_0004;

/**
 * Process faults against real worker processes (two of them), the in-process API, the shared
 * Postgres and Redis, and the simulator's OneRoster peer (a real Postgres restart is in
 * postgres-restart.test.ts, on a cluster of its own). Each scenario: a first sync loads
 * district v1; the peer then serves v2; the faulted run must leave v1 exactly as it was or
 * finish v2, end in a terminal state with a message, and the next run must load v2 exactly.
 */
describe("fault suite: processes", () => {
  const evidence = new Evidence();
  let stack: TestStack;
  let api: ReturnType<typeof apiOf>;
  const fleet = new Set<ChildProcess>();
  const peers: OneRosterPeer[] = [];

  beforeAll(async () => {
    stack = await startEvidenceStack(evidence, { env: { MAX_CONCURRENT_SYNCS: "4", WORKER_CONCURRENCY: "2" } });
    api = apiOf(stack, await stack.token({ roles: ["PLATFORM_ADMIN"] }));
  });
  afterAll(async () => {
    for (const w of fleet) w.kill("SIGKILL");
    await Promise.all([...fleet].map(stopped));
    await stack?.close();
    await Promise.all(peers.map((p) => p.close()));
  });

  const alive = () => [...fleet].filter((w) => w.exitCode === null && w.signalCode === null);
  /** Spawns workers until n are alive, each ready (its start line seen) before the next step. */
  const ensureWorkers = async (n = 2) => {
    while (alive().length < n) fleet.add(await spawnReadyWorker(stack));
  };
  const ownerOf = async (runId: string): Promise<ChildProcess> => {
    const { rows } = await stack.db.pool.query("select worker_id from sis_sync_runs where id = $1", [runId]);
    const pid = Number(String(rows[0].worker_id).split(":").at(-2));
    const owner = alive().find((w) => w.pid === pid);
    if (!owner) throw new Error(`run ${runId} is held by ${rows[0].worker_id}, not one of our workers`);
    return owner;
  };
  const kill = async (w: ChildProcess, signal: NodeJS.Signals) => {
    w.kill(signal);
    await stopped(w);
    fleet.delete(w);
  };

  /** Provider on its own tenant and peer, synced once to v1; the peer then serves v2. */
  async function scenario(name: string, seed: number) {
    const v1 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed });
    const peer = await startOneRosterPeer({ district: v1 });
    peers.push(peer);
    const { baseUrl, clientId, clientSecret } = peer.credentials;
    evidence.secret(clientSecret);
    const tenant = `t-${name}`;
    const id = await api.provider(tenant, "ONEROSTER_API", { baseUrl, clientId, clientSecret }, { options: { maxDeactivationRatio: 0.5 } });
    const first = await api.terminal(await api.sync(id));
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, tenant, v1);
    const before = await snapshot(stack.db.pool, id, tenant);
    const v2: District = mutate(v1, { seed: seed + 1, withdrawStudents: 0.1, newStudents: 0.1, changeNames: 0.1, dropClasses: 0.1, addClasses: 0.1 }).district;
    peer.setDistrict(v2);
    return { peer, id, tenant, v1, v2, before };
  }

  /** After the fault: the faulted run ended (v2 loaded, or FAILURE with v1 untouched), and the next run loads v2. */
  async function expectRecovered(s: Awaited<ReturnType<typeof scenario>>, runId: string, failure: RegExp) {
    const ended = await api.terminal(runId, 60_000);
    if (ended.status === "SUCCESS") {
      await expectRosterMatches(stack.db.pool, s.id, s.tenant, s.v2);
    } else {
      expect(ended.status).toBe("FAILURE");
      expect(ended.errorMessage).toMatch(failure);
      expect(await snapshot(stack.db.pool, s.id, s.tenant)).toEqual(s.before);
    }
    const next = await api.terminal(await api.sync(s.id), 60_000);
    expect(next).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, s.id, s.tenant, s.v2);
    return ended;
  }

  /** A connection of our own (a client held out of a fresh one-connection pool). */
  async function lockClient() {
    const pool = createDb(stack.db.url, { max: 1 }).pool;
    const c = await pool.connect();
    c.on("error", () => undefined);
    return {
      query: (sql: string, params?: unknown[]) => c.query(sql, params),
      end: async () => {
        c.release(true);
        await pool.end();
      },
    };
  }

  /** Backends of this test's database waiting on a lock (the worker's sync blocked by us). */
  const waitingBackends = async (): Promise<number[]> => {
    const { rows } = await stack.db.pool.query(
      "select distinct l.pid from pg_locks l join pg_stat_activity a on a.pid = l.pid where not l.granted and a.datname = current_database()",
    );
    return rows.map((r: { pid: number }) => r.pid);
  };

  it("recovers from a worker SIGKILLed in extract", async () => {
    await ensureWorkers();
    const s = await scenario("kill-extract", 101);
    s.peer.setFaults({ latencyMs: 400 });
    const runId = await api.sync(s.id);
    await api.inPhase(runId, "extract");
    await sleep(700);
    expect((await api.run(runId)).phase).toBe("extract");
    await kill(await ownerOf(runId), "SIGKILL");
    s.peer.setFaults({});
    await expectRecovered(s, runId, /worker lost/i);
  }, 120_000);

  it("recovers from a worker SIGKILLed in stage (blocked on the tenant's roster lock)", async () => {
    await ensureWorkers();
    const s = await scenario("kill-stage", 202);
    const lock = await lockClient();
    try {
      await lock.query("select pg_advisory_lock($1, hashtext($2))", [ROSTER_LOCK_NAMESPACE, s.tenant]);
      const runId = await api.sync(s.id);
      await api.inPhase(runId, "stage");
      await waitFor(async () => (await waitingBackends()).length > 0, { what: "the sync to wait on the roster lock" });
      await kill(await ownerOf(runId), "SIGKILL");
      // Postgres does not notice a dead client while its backend waits on a lock: end it as the server eventually would.
      for (const pid of await waitingBackends()) await stack.db.pool.query("select pg_terminate_backend($1)", [pid]);
      expect(await snapshot(stack.db.pool, s.id, s.tenant)).toEqual(s.before);
      await lock.query("select pg_advisory_unlock($1, hashtext($2))", [ROSTER_LOCK_NAMESPACE, s.tenant]);
      await ensureWorkers();
      await expectRecovered(s, runId, /worker lost/i);
    } finally {
      await lock.end().catch(() => undefined);
    }
  }, 120_000);

  it("rolls back the load of a worker SIGKILLed mid-load and recovers", async () => {
    await ensureWorkers();
    const s = await scenario("kill-load", 303);
    const lock = await lockClient();
    try {
      // Blocks the load's enrollment writes after schools, classes and users were written in its transaction.
      await lock.query("begin");
      await lock.query("lock table roster_enrollments in share mode");
      const runId = await api.sync(s.id);
      await api.inPhase(runId, "load");
      await waitFor(async () => (await waitingBackends()).length > 0, { what: "the load to wait on roster_enrollments" });
      await kill(await ownerOf(runId), "SIGKILL");
      for (const pid of await waitingBackends()) await stack.db.pool.query("select pg_terminate_backend($1)", [pid]);
      await waitFor(async () => (await waitingBackends()).length === 0, { what: "the dead worker's backend to go" });
      expect(await snapshot(stack.db.pool, s.id, s.tenant)).toEqual(s.before);
      await lock.query("commit");
      await ensureWorkers();
      await expectRecovered(s, runId, /worker lost/i);
    } finally {
      await lock.end().catch(() => undefined);
    }
  }, 120_000);

  it("on SIGTERM hands the sync back and the other worker finishes it", async () => {
    await ensureWorkers();
    const s = await scenario("sigterm", 505);
    s.peer.setFaults({ latencyMs: 1_000 });
    const runId = await api.sync(s.id);
    await api.inPhase(runId, "extract");
    const owner = await ownerOf(runId);
    owner.kill("SIGTERM");
    await stopped(owner);
    fleet.delete(owner);
    expect(owner.exitCode).toBe(0);
    s.peer.setFaults({});
    const ended = await api.terminal(runId, 60_000);
    expect(ended).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, s.id, s.tenant, s.v2);
    await ensureWorkers();
  }, 120_000);

  it("keeps exactly one schedule per provider across a rolling API redeploy", async () => {
    const token = await stack.token({ roles: ["PLATFORM_ADMIN"] });
    const ids: string[] = [];
    // A closed local port as the SIS: should a schedule ever fire during the test, it goes nowhere.
    const nowhere = { clientId: "c", districtId: "d", baseUrl: "http://127.0.0.1:9" };
    for (const [i, schedule] of ["daily", "30 3 1 1 *", "0 5 * * 1-5"].entries()) {
      ids.push(await api.provider("t-sched", "CLEVER", { ...nowhere, clientSecret: `sched-secret-${i}-xyz` }, { syncSchedule: schedule, syncTimezone: "America/New_York" }));
    }
    const unscheduled = await api.provider("t-sched", "CLEVER", { ...nowhere, clientSecret: "sched-secret-none-xyz" });
    const before = await stack.api.producer.listSchedules();
    // The new API starts (and reconciles schedules) while the old one still serves; both
    // change schedules during the overlap; then the old one stops.
    const logger = createLogger({ level: "debug", service: "api-next", stream: evidence.logStream() });
    const next = await startApi({ config: stack.config, logger, databaseUrl: stack.db.url, redisUrl: stack.env.REDIS_URL });
    try {
      const viaNext = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${next.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        evidence.add(`${method} ${path} (next api) → ${res.status}`, text);
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      };
      expect((await viaNext("PATCH", `/api/v1/providers/${unscheduled}`, { syncSchedule: "weekly" })).status).toBe(200);
      expect((await stack.request("PATCH", `/api/v1/providers/${ids[1]}`, { token, body: { syncSchedule: "every-6-hours" } })).status).toBe(200);
      // The old instance stops; (the harness brings up a third, which reconciles once more).
      await stack.restartApi();
      const after = await next.producer.listSchedules();
      const mine = after.filter((x) => [...ids, unscheduled].includes(x.providerId));
      expect(mine.map((x) => x.providerId).sort()).toEqual([...ids, unscheduled].sort());
      expect(mine.find((x) => x.providerId === ids[1])).toMatchObject({ pattern: "0 */6 * * *", tz: "America/New_York" });
      expect(mine.find((x) => x.providerId === unscheduled)).toMatchObject({ pattern: "0 0 * * 0" });
      expect(after.length).toBe(before.length + 1);
    } finally {
      await next.close();
    }
  }, 60_000);

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    // The grep saw the worker processes' own log lines and the run records.
    expect(/worker \d+ stdout: .*"message":"sync finished"/.test(evidence.logText())).toBe(true);
    expect(/sis_sync_runs: \[\{"id"/.test(evidence.logText())).toBe(true);
    expect(evidence.size).toBeGreaterThan(10_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
