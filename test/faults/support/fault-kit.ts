import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import type { District } from "../../../packages/sis-simulator/src";
import { startTestStack, waitFor, type TestStack, type TestStackOptions } from "../../../apps/api/test/support/test-stack";

export { waitFor };

type Pool = TestStack["db"]["pool"];

export const TERMINAL = ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything the suite sees: log lines of the in-process API/worker and of spawned workers,
 * every API response, and at the end every run and run-error row. `leaks()` greps it all for
 * the credentials the suite used (issue #8, "Secrets").
 */
export class Evidence {
  private readonly texts: string[] = [];
  private readonly secrets = new Set<string>();

  /** A credential the suite uses; very short values would match by chance, so they are refused. */
  secret(...values: (string | undefined | null)[]): void {
    for (const v of values) {
      if (!v) continue;
      if (v.length < 8) throw new Error(`secret too short to grep for: ${v.length} chars`);
      this.secrets.add(v);
      // A PEM/OpenSSH key body leaks just as well line by line.
      if (v.includes("\n")) for (const line of v.split("\n")) if (line.length >= 24 && !line.startsWith("-----")) this.secrets.add(line.trim());
    }
  }

  add(where: string, value: unknown): void {
    this.texts.push(`${where}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }

  logStream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.texts.push(`log: ${chunk.toString()}`);
        done();
      },
    });
  }

  attach(child: ChildProcess): ChildProcess {
    child.stdout?.on("data", (c: Buffer) => this.texts.push(`worker ${child.pid} stdout: ${c.toString()}`));
    child.stderr?.on("data", (c: Buffer) => this.texts.push(`worker ${child.pid} stderr: ${c.toString()}`));
    return child;
  }

  async addRunRecords(pool: Pool): Promise<void> {
    const runs = await pool.query("select * from sis_sync_runs");
    const errors = await pool.query("select * from sis_run_errors");
    this.add("sis_sync_runs", runs.rows);
    this.add("sis_run_errors", errors.rows);
  }

  /** Lines that carry a secret, with the secret's first characters only. */
  leaks(): string[] {
    const found: string[] = [];
    for (const text of this.texts) {
      for (const s of this.secrets) {
        if (text.includes(s) || text.includes(encodeURIComponent(s)) || text.includes(JSON.stringify(s).slice(1, -1))) {
          found.push(`${s.slice(0, 4)}… in ${text.slice(0, 300)}`);
        }
      }
    }
    return found;
  }

  get size(): number {
    return this.texts.join("").length;
  }

  logText(): string {
    return this.texts.join("\n");
  }
}

/** A test stack whose every response, log line and spawned worker's output lands in `evidence`. */
export async function startEvidenceStack(evidence: Evidence, opts: TestStackOptions = {}): Promise<TestStack> {
  const stack = await startTestStack({ ...opts, logStream: evidence.logStream(), env: { LOG_LEVEL: "debug", ...opts.env } });
  evidence.secret(stack.env.AUTH_JWT_SECRET, stack.env.CONFIG_ENCRYPTION_KEYS.split(":")[1]);
  const request = stack.request.bind(stack);
  stack.request = async (method, path, o = {}) => {
    if (o.token) evidence.secret(o.token);
    const res = await request(method, path, o);
    evidence.add(`${method} ${path} → ${res.status}`, { body: res.body, headers: Object.fromEntries(res.headers.entries()) });
    return res as never;
  };
  const spawn = stack.spawnWorker.bind(stack);
  stack.spawnWorker = (extra) => evidence.attach(spawn(extra));
  return stack;
}

export interface RunJson {
  id: string;
  status: string;
  phase: string | null;
  errorMessage: string | null;
  stats: Record<string, { created: number; updated: number; deactivated: number; unchanged: number; errors: number }> | null;
}

/** The API calls every fault test makes, as a platform admin. */
export function apiOf(stack: TestStack, token: string) {
  const run = async (runId: string): Promise<RunJson> => (await stack.request("GET", `/api/v1/runs/${runId}`, { token })).body;
  return {
    async provider(tenantId: string, providerType: string, config: unknown, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await stack.request("POST", "/api/v1/providers", { token, body: { tenantId, providerType, name: `${providerType} fault`, config, ...extra } });
      if (res.status !== 201) throw new Error(`provider not created: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    async sync(providerId: string, body?: unknown): Promise<string> {
      const res = await stack.request("POST", `/api/v1/providers/${providerId}/sync`, { token, body });
      if (res.status !== 202) throw new Error(`sync not queued: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.runId;
    },
    run,
    terminal(runId: string, timeoutMs = 60_000): Promise<RunJson> {
      return waitFor(async () => {
        const r = await run(runId);
        return TERMINAL.includes(r.status) && r;
      }, { timeoutMs, intervalMs: 200, what: `run ${runId} to end` });
    },
    inPhase(runId: string, phase: string, timeoutMs = 30_000): Promise<RunJson> {
      return waitFor(async () => {
        const r = await run(runId);
        if (TERMINAL.includes(r.status)) throw new Error(`run ended ${r.status} before phase ${phase}: ${r.errorMessage}`);
        return r.status === "IN_PROGRESS" && r.phase === phase && r;
      }, { timeoutMs, intervalMs: 50, what: `run ${runId} in phase ${phase}` });
    },
    async testConnection(providerId: string): Promise<{ success: boolean; message: string }> {
      const res = await stack.request("POST", `/api/v1/providers/${providerId}/test`, { token });
      if (res.status !== 200) throw new Error(`test answered ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
}

const KINDS = ["schools", "classes", "users", "enrollments"] as const;
type Kind = (typeof KINDS)[number];
const SINGULAR: Record<Kind, string> = { schools: "school", classes: "class", users: "user", enrollments: "enrollment" };

export interface RosterSnapshot {
  /** Per kind: "externalId status contentHash" of every source row of the provider, sorted. */
  sources: Record<Kind, string[]>;
  /** Per kind: roster entities of the tenant (all statuses). */
  entities: Record<Kind, number>;
}

/** The provider's whole roster as stored (source rows with hashes, entity counts). */
export async function snapshot(pool: Pool, providerId: string, tenantId: string): Promise<RosterSnapshot> {
  const sources = {} as RosterSnapshot["sources"];
  const entities = {} as RosterSnapshot["entities"];
  for (const k of KINDS) {
    const s = await pool.query(`select external_id || ' ' || status || ' ' || content_hash as line from roster_${SINGULAR[k]}_sources where provider_id = $1 order by external_id`, [providerId]);
    sources[k] = s.rows.map((r: { line: string }) => r.line);
    const e = await pool.query(`select count(*)::int as n from roster_${k} where tenant_id = $1`, [tenantId]);
    entities[k] = e.rows[0].n;
  }
  return { sources, entities };
}

/**
 * The roster of the provider is exactly the district: every record active once, nothing else
 * active, no entity duplicated (one entity per source row), and entity rows for nothing else.
 */
export async function expectRosterMatches(pool: Pool, providerId: string, tenantId: string, district: District): Promise<void> {
  const expected: Record<Kind, Set<string>> = {
    schools: new Set([...district.schools].map((s) => s.id)),
    classes: new Set([...district.classes].map((c) => c.id)),
    users: new Set([...district.users].map((u) => u.id)),
    enrollments: new Set([...district.enrollments].map((e) => e.id)),
  };
  for (const k of KINDS) {
    const active = await pool.query(`select external_id from roster_${SINGULAR[k]}_sources where provider_id = $1 and status = 'active'`, [providerId]);
    // A Set: includes() over an array is quadratic (about a minute at a small district's 38 k enrollments).
    const ids = new Set(active.rows.map((r: { external_id: string }) => r.external_id));
    expect({ kind: k, count: active.rowCount }).toEqual({ kind: k, count: expected[k].size });
    expect({ kind: k, missing: [...expected[k]].filter((id) => !ids.has(id)).slice(0, 5) }).toEqual({ kind: k, missing: [] });
    const dup = await pool.query(`select entity_id from roster_${SINGULAR[k]}_sources where provider_id = $1 group by entity_id having count(*) > 1`, [providerId]);
    expect({ kind: k, duplicated: dup.rowCount }).toEqual({ kind: k, duplicated: 0 });
    const activeEntities = await pool.query(`select count(*)::int as n from roster_${k} where tenant_id = $1 and status = 'active'`, [tenantId]);
    expect({ kind: k, activeEntities: activeEntities.rows[0].n }).toEqual({ kind: k, activeEntities: expected[k].size });
  }
}

/** Issue #8: every run ended in a terminal state, and every failed or cancelled one says why. */
export async function expectRunsSettled(pool: Pool): Promise<void> {
  const live = await pool.query("select id, status from sis_sync_runs where status in ('PENDING', 'IN_PROGRESS')");
  expect(live.rows).toEqual([]);
  const unexplained = await pool.query("select id, status, error_message from sis_sync_runs where status in ('FAILURE', 'CANCELLED') and coalesce(length(error_message), 0) < 10");
  expect(unexplained.rows).toEqual([]);
}

export function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
}

/** Spawns a worker process of the stack and waits for its start line (or fails with its output). */
export async function spawnReadyWorker(stack: TestStack): Promise<ChildProcess> {
  const w = stack.spawnWorker();
  let out = "";
  w.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  w.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  await waitFor(
    async () => {
      if (w.exitCode !== null) throw new Error(`worker exited ${w.exitCode} at start: ${out.slice(-2000)}`);
      return out.includes("sync worker started");
    },
    { timeoutMs: 45_000, what: "a worker process to start" },
  );
  return w;
}

/** A loopback port nobody listens on right now (for a server of the test's own). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
