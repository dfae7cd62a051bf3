import type { ChildProcess } from "node:child_process";
import { DISTRICT_SIZES, generateDistrict, mutate, startOneRosterPeer, type OneRosterPeer } from "../../packages/sis-simulator/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, expectRosterMatches, expectRunsSettled, snapshot, spawnReadyWorker, startEvidenceStack, stopped, waitFor } from "./support/fault-kit";
import { startPrivatePostgres, type PrivatePostgres } from "./support/private-postgres";

/**
 * Postgres restarted mid-load (issue #8): a PostgreSQL cluster of this test's own (never the
 * shared server), restarted with `pg_ctl restart -m fast` while a worker process is inside the
 * load transaction of a sync. The transaction rolls back, the run ends FAILURE saying why, the
 * roster is exactly as before, the API and both workers reconnect, and the next run loads the
 * new export with exactly the simulator's expected effects.
 */
describe("fault suite: Postgres restarted mid-load", () => {
  const evidence = new Evidence();
  let pg: PrivatePostgres;
  let stack: TestStack;
  let peer: OneRosterPeer;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    stack = await startEvidenceStack(evidence, { databaseAdminUrl: pg.url() });
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    await Promise.all(workers.map(stopped));
    await stack?.close().catch(() => undefined);
    await peer?.close();
    pg?.destroy();
  });

  const alive = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
  const startWorker = async () => void workers.push(await spawnReadyWorker(stack));

  it("rolls the load back, ends the run FAILURE, reconnects every process, and the next run repairs", async () => {
    const api = apiOf(stack, await stack.token({ roles: ["PLATFORM_ADMIN"] }));
    await Promise.all([startWorker(), startWorker()]);
    // 6 of "small"'s 10 schools (6 k users, 23 k enrollments): the whole scenario stays well under a minute.
    const v1 = generateDistrict({ ...DISTRICT_SIZES.small, schools: 6, seed: 4040 });
    peer = await startOneRosterPeer({ district: v1 });
    const { baseUrl, clientId, clientSecret } = peer.credentials;
    evidence.secret(clientSecret);
    const tenant = "t-pg-restart";
    const id = await api.provider(tenant, "ONEROSTER_API", { baseUrl, clientId, clientSecret }, { options: { maxDeactivationRatio: 0.5 } });
    expect(await api.terminal(await api.sync(id))).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, tenant, v1);
    const before = await snapshot(stack.db.pool, id, tenant);
    const m = mutate(v1, { seed: 4041, withdrawStudents: 0.05, newStudents: 0.05, changeNames: 0.05, dropClasses: 0.05, addClasses: 0.05 });
    peer.setDistrict(m.district);

    // Hold the load open, whatever the machine's speed: a transaction of the test's own locks the
    // change feed against writes (reads go on), so the worker's load transaction blocks at its
    // first change-feed insert, after it has written roster rows. The restart lands inside it.
    const blocker = await stack.db.pool.connect();
    blocker.on("error", () => undefined); // the restart ends this session too
    await blocker.query("begin");
    await blocker.query("lock table roster_changes in exclusive mode");
    const runId = await api.sync(id);
    await api.inPhase(runId, "load", 45_000);
    const inLoad = await waitFor(
      async () => {
        const { rows } = await stack.db.pool.query(
          `select pid, state, wait_event_type, left(query, 60) as query from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
              and state = 'active' and wait_event_type = 'Lock' and query ~* 'roster_changes'`,
        );
        return rows.length > 0 && rows;
      },
      { timeoutMs: 20_000, intervalMs: 20, what: "the worker's load transaction to wait on the change feed" },
    );
    const restartedAt = Date.now();
    await pg.restart();
    const restartMs = Date.now() - restartedAt;
    blocker.release(true);
    evidence.add("postgres restart", { restartMs, inLoad });

    const ended = await api.terminal(runId, 30_000);
    expect(ended.status).toBe("FAILURE");
    expect(ended.errorMessage).toMatch(/Lost the connection to the database during the load phase .*rolled back and nothing was deactivated/);
    // Ended by the attempt that lost Postgres (its terminal write waited for the server), not hidden by a BullMQ re-run.
    expect((await stack.db.pool.query("select attempt from sis_sync_runs where id = $1", [runId])).rows).toEqual([{ attempt: 1 }]);
    // Nothing half-written: every source row (status and content hash) and entity count as before.
    expect(await snapshot(stack.db.pool, id, tenant)).toEqual(before);
    await expectRosterMatches(stack.db.pool, id, tenant, v1);

    // Reconnected: the API is ready again and both workers survived the lost connections.
    await waitFor(async () => (await stack.request("GET", "/readyz")).status === 200, { timeoutMs: 20_000, what: "the API to be ready again" });
    expect(alive()).toHaveLength(2);
    const next = await api.terminal(await api.sync(id), 60_000);
    expect(next).toMatchObject({ status: "SUCCESS", errorMessage: null });
    const withNoErrors = (e: Record<string, object>) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, { ...v, errors: 0 }]));
    expect(next.stats).toEqual(withNoErrors(m.expected as unknown as Record<string, object>));
    await expectRosterMatches(stack.db.pool, id, tenant, m.district);
  }, 120_000);

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    expect(evidence.size).toBeGreaterThan(5_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
