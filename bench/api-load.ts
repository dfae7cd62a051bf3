/**
 * API load test (issue #8): `pnpm bench:api [--size=large|medium|small] [--rate=200] [--duration=30]
 * [--baseline=10] [--nice=0] [--profile=<dir>]`.
 *
 * On 127.0.0.1 only, against the system Postgres/Redis (a fresh database, created and dropped,
 * and a unique REDIS_PREFIX): the API and one sync worker run as separate processes from their
 * production entries (apps/api/src/main.ts, apps/worker/src/main.ts), the simulator's OneRoster
 * peers in a third. A `small` district is synced first so the roster reads return rows; then a
 * `large` district sync (1 M users) starts, and while it extracts/stages/loads, mixed reads
 * (provider list, run list, sync status, roster users page, round robin) are sent at a fixed
 * offered rate for a fixed time, after a short idle baseline with the same mix. The sync does
 * not need to finish: the run's phase and progress are sampled during the window, then the sync
 * is cancelled. Bounded: rate × duration requests, and the whole run is killed after
 * BENCH_TIMEOUT_MS (10 min). `--profile` writes the API's V8 CPU profile there; `--nice=N` runs the
 * worker and the simulator at niceness N (the API first in line for the CPU).
 *
 * The load is open-loop and paced: request i is sent at start + i / rate whatever the answers
 * before it, over a keep-alive pool big enough that the API's latency never throttles the rate.
 * (autocannon's overallRate is split into per-connection budgets refilled once a second, so every
 * connection bursts at the top of each second: a bursty load, and a slow answer lowers the rate.)
 * Prints a Markdown table (not pass/fail).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, totalmem } from "node:os";
import { resolve } from "node:path";
import { mintToken } from "@sis-sync/api";
import { createRedis, deleteKeysByPrefix } from "@sis-sync/queue";
import { createDb } from "../packages/db/src";

const ROOT = resolve(__dirname, "..");
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 600_000);

const arg = (name: string, fallback: string) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;

/** Child role: the simulator's OneRoster peers (a small district and the big one), on loopback. */
async function peerRole(): Promise<void> {
  const { DISTRICT_SIZES, generateDistrict, startOneRosterPeer } = await import("../packages/sis-simulator/src");
  const size = arg("size", "large") as keyof typeof DISTRICT_SIZES;
  const small = await startOneRosterPeer({ district: generateDistrict({ ...DISTRICT_SIZES.small, seed: 11 }) });
  const big = await startOneRosterPeer({ district: generateDistrict({ ...DISTRICT_SIZES[size], seed: 12 }) });
  process.stdout.write(JSON.stringify({ small: small.credentials, big: big.credentials }) + "\n");
  process.once("SIGTERM", () => void Promise.all([small.close(), big.close()]).then(() => process.exit(0)));
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

const children: ChildProcess[] = [];
function child(file: string, args: string[], env: Record<string, string>, name: string, nodeArgs: string[] = [], niceness = 0): ChildProcess {
  const argv = [...nodeArgs, "--import", "tsx", file, ...args];
  // `nice` execs node (same pid), and every thread node starts inherits the niceness.
  const [command, commandArgs] = niceness ? ["nice", ["-n", String(niceness), process.execPath, ...argv]] : [process.execPath, argv];
  const c = spawn(command, commandArgs, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  c.stderr!.on("data", (d) => process.stderr.write(`[${name}] ${d}`));
  children.push(c);
  return c;
}
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r())));

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** CPU time a process has used so far, from /proc (Linux), in ms: user and system (kernel). */
function cpuMs(pid: number): { user: number; sys: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { user: (Number(fields[11]) * 1000) / 100, sys: (Number(fields[12]) * 1000) / 100 }; // utime, stime in USER_HZ (100/s)
  } catch {
    return { user: NaN, sys: NaN };
  }
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  try {
    const [, ...v] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    const n = v.map(Number);
    const idle = n[3] + n[4]; // idle + iowait
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

interface Endpoint {
  name: string;
  path: string;
}
interface Outcome {
  endpoint: number;
  /** ms from send to the end of the response (undefined: no response). */
  ms?: number;
  status?: number;
  failure?: "error" | "timeout";
}

/**
 * Sends GETs round robin over `endpoints` at `rate` per second for `seconds`, each at its
 * scheduled time (open loop), and waits for the answers. `lateMs`: how far behind schedule the
 * sender itself ran (the bench process starved of CPU), to read the latencies against.
 */
async function pacedLoad(
  base: string,
  token: string,
  endpoints: Endpoint[],
  rate: number,
  seconds: number,
): Promise<{ outcomes: Outcome[]; lateMs: number[]; sendS: number; wallS: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.round(rate * seconds);
  const outcomes: Outcome[] = [];
  const lateMs: number[] = [];
  const pending = new Set<Promise<void>>();
  const send = (i: number): Promise<void> =>
    new Promise<void>((done) => {
      const endpoint = i % endpoints.length;
      const t0 = performance.now();
      const req = httpRequest(`${base}${endpoints[endpoint].path}`, { agent, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
        res.resume();
        res.once("end", () => (outcomes.push({ endpoint, ms: performance.now() - t0, status: res.statusCode }), done()));
        res.once("error", () => (outcomes.push({ endpoint, failure: "error" }), done()));
      });
      req.once("timeout", () => req.destroy(new Error("timeout")));
      req.once("error", (e) => (outcomes.push({ endpoint, failure: e.message === "timeout" ? "timeout" : "error" }), done()));
      req.end();
    });
  const started = performance.now();
  for (let i = 0; i < total; ) {
    const now = performance.now();
    const due = started + (i * 1000) / rate;
    if (now < due) {
      await new Promise((r) => setTimeout(r, Math.max(1, Math.floor(due - now))));
      continue;
    }
    // Catch up on everything due (a late timer must not lower the offered rate).
    for (; i < total && started + (i * 1000) / rate <= now; i++) {
      lateMs.push(now - (started + (i * 1000) / rate));
      const p = send(i);
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
  }
  const sendS = (performance.now() - started) / 1000;
  await Promise.all(pending);
  const wallS = (performance.now() - started) / 1000;
  agent.destroy();
  return { outcomes, lateMs, sendS, wallS };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const size = arg("size", "large");
  const rate = Number(arg("rate", "200"));
  const duration = Number(arg("duration", "30"));
  const baseline = Number(arg("baseline", "10"));
  // > 0: the worker and the simulator run at this niceness, so the API gets the CPU first — roughly
  // the API on its own pod, as deployed (deploy/), instead of sharing 2 cores with a sync.
  const niceness = Number(arg("nice", "0"));
  const dbName = `sis_apiload_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const prefix = `sis-apiload-${randomBytes(4).toString("hex")}`;
  const admin = createDb(ADMIN_URL, { max: 1 });
  await admin.pool.query(`create database "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const secret = randomBytes(32).toString("hex");
  const env: Record<string, string> = {
    NODE_ENV: "test", // production would require https for the simulator's http peers
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    CONFIG_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    AUTH_JWT_SECRET: secret,
    SIS_ALLOW_PRIVATE_HOSTS: "true",
    MAX_CONCURRENT_SYNCS: "2",
    WORKER_CONCURRENCY: "2",
    WORKER_SHUTDOWN_GRACE_MS: "5000",
    DATA_DIR: resolve(ROOT, ".data/bench-api"),
  };
  const killer = setTimeout(() => {
    console.error(`bench:api: over ${TIMEOUT_MS} ms, stopping`);
    for (const c of children) c.kill("SIGKILL");
    process.exit(2);
  }, TIMEOUT_MS);
  killer.unref();

  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let peer: ChildProcess | undefined;
  try {
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    peer = child(__filename, ["--role=peer", `--size=${size}`], {}, "peer", [], niceness);
    const peerInfo = new Promise<{ small: Record<string, string>; big: Record<string, string> }>((res, rej) => {
      let buf = "";
      peer!.stdout!.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) res(JSON.parse(buf.split("\n")[0]));
      });
      peer!.once("exit", (code) => rej(new Error(`simulator exited ${code}`)));
    });
    const profile = arg("profile", "");
    api = child(resolve(ROOT, "apps/api/src/main.ts"), [], env, "api", profile ? ["--cpu-prof", `--cpu-prof-dir=${resolve(profile)}`] : []);
    api.stdout!.resume();
    await until("the API to be ready", async () => (await fetch(`${base}/readyz`)).ok, 180_000);
    worker = child(resolve(ROOT, "apps/worker/src/main.ts"), [], env, "worker", [], niceness);
    worker.stdout!.resume();
    const creds = await peerInfo;
    console.error(`bench:api: stack up in ${Date.now() - t0} ms (API ${base}, simulator ${size})`);

    const token = await mintToken({ secret, roles: ["DISTRICT_ADMIN"], tenantId: "bench-district", expiresIn: "1h" });
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json().catch(() => undefined)) as any;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const provider = async (name: string, c: Record<string, string>) =>
      (await call("POST", "/providers", { tenantId: "bench-district", providerType: "ONEROSTER_API", name, config: { baseUrl: c.baseUrl, clientId: c.clientId, clientSecret: c.clientSecret } })).id as string;
    const smallId = await provider("Small district (OneRoster)", creds.small);
    const bigId = await provider(`${size} district (OneRoster)`, creds.big);
    await provider("Spare A", creds.small);
    await provider("Spare B", creds.small);

    const runOf = (id: string) => call("GET", `/runs/${id}`);
    const terminal = ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"];
    const smallRun = (await call("POST", `/providers/${smallId}/sync`, {})).runId as string;
    const warm = await until("the small sync", async () => {
      const r = await runOf(smallRun);
      return terminal.includes(r.status) && r;
    }, 300_000, 500);
    const users = (await call("GET", `/tenants/bench-district/users?limit=1`)).total as number;
    console.error(`bench:api: small sync ${warm.status} (${users} users in the roster)`);

    const endpoints = (providerId: string): Endpoint[] => [
      { name: "provider list", path: `/api/v1/tenants/bench-district/providers` },
      { name: "run list", path: `/api/v1/providers/${providerId}/runs?limit=20` },
      { name: "sync status", path: `/api/v1/providers/${providerId}/sync/status` },
      { name: "roster users page", path: `/api/v1/tenants/bench-district/users?limit=50&offset=500` },
    ];
    // The run's phase and progress, read straight from the database (not through the API under test).
    const runDb = createDb(dbUrl.toString(), { max: 1 });
    const sampleRun = async (id: string) =>
      (await runDb.pool.query("select status, phase, progress from sis_sync_runs where id = $1", [id])).rows[0] as { status: string; phase: string | null; progress: Record<string, number> | null };
    /** `seconds` of the mixed reads at `rate` req/s, with the big run's phase sampled every second. */
    const measure = async (seconds: number, runId?: string) => {
      const load1 = loadavg()[0];
      const procs = { API: api!.pid!, worker: worker!.pid!, simulator: peer!.pid! };
      const cpuBefore = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuMs(pid)]));
      const cpu0 = cpuBefore.API;
      const machine0 = machineJiffies();
      const samples: Awaited<ReturnType<typeof sampleRun>>[] = [];
      const sampler = runId ? setInterval(() => void sampleRun(runId).then((r) => samples.push(r), () => undefined), 1_000) : undefined;
      if (runId) samples.push(await sampleRun(runId));
      const load = await pacedLoad(base, token, endpoints(bigId), rate, seconds);
      if (sampler) clearInterval(sampler);
      if (runId) samples.push(await sampleRun(runId));
      const cpu1 = cpuMs(api!.pid!);
      /** Share of one core each process used during the window. */
      const shares = Object.entries(procs).map(([k, pid]) => {
        const [a, b] = [cpuBefore[k], cpuMs(pid)];
        return `${k} ${Math.round((100 * (b.user + b.sys - a.user - a.sys)) / (load.wallS * 1000))} %`;
      });
      const machine1 = machineJiffies();
      shares.push(`whole machine ${Math.round((100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total))} % of ${cpus().length} cores busy`);
      return { ...load, load1: Math.max(load1, loadavg()[0]), cpu: { user: cpu1.user - cpu0.user, sys: cpu1.sys - cpu0.sys }, shares, samples };
    };

    const idle = baseline > 0 ? await measure(baseline) : undefined;
    const bigRun = (await call("POST", `/providers/${bigId}/sync`, {})).runId as string;
    // Into its stride (paging the source and COPYing rows into staging) before measuring.
    await until("the big sync to be staging rows", async () => {
      const r = await sampleRun(bigRun);
      if (["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"].includes(r.status)) throw new Error(`big sync ended ${r.status} before the measurement`);
      return r.status === "IN_PROGRESS" && Object.values(r.progress ?? {}).some((n) => n > 0) && r;
    }, 120_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const busy = await measure(duration, bigRun);

    const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
    const int = (n: number) => n.toLocaleString("en-US");
    const row = (phase: string, name: string, m: Awaited<ReturnType<typeof measure>>, which: (o: Outcome) => boolean, cpu = "") => {
      const mine = m.outcomes.filter(which);
      const lat = mine.flatMap((o) => (o.ms === undefined ? [] : [o.ms])).sort((a, b) => a - b);
      const ok = mine.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300).length;
      const non2xx = mine.filter((o) => o.status !== undefined && (o.status < 200 || o.status >= 300)).length;
      const failed = mine.filter((o) => o.failure).length;
      // Offered: sent over the sending time; answered: 2xx over the time until the last answer.
      return `| ${phase} | ${name} | ${int(mine.length)} | ${fmt(mine.length / m.sendS)} | ${fmt(ok / m.wallS)} | ${fmt(percentile(lat, 50))} | ${fmt(percentile(lat, 90))} | ${fmt(percentile(lat, 99))} | ${fmt(lat[lat.length - 1])} | ${non2xx} | ${failed} | ${cpu} |`;
    };
    const phaseRows = (phase: string, m: Awaited<ReturnType<typeof measure>>, perEndpoint: boolean) => {
      const list = endpoints(bigId);
      const n = m.outcomes.length || 1;
      return [
        ...(perEndpoint ? list.map((e, i) => row(phase, e.name, m, (o) => o.endpoint === i)) : []),
        row(phase, "**all (mixed)**", m, () => true, `${fmt((m.cpu.user + m.cpu.sys) / n, 2)} (${fmt(m.cpu.user / n, 2)} + ${fmt(m.cpu.sys / n, 2)})`),
      ];
    };
    const late = (m: Awaited<ReturnType<typeof measure>>) => fmt(percentile([...m.lateMs].sort((a, b) => a - b), 99));
    /** "extract 100 %" and the progress from the first to the last sample. */
    const phasesSeen = (m: Awaited<ReturnType<typeof measure>>) => {
      const counts = new Map<string, number>();
      for (const s of m.samples) counts.set(`${s.status === "IN_PROGRESS" ? s.phase : s.status}`, (counts.get(`${s.status === "IN_PROGRESS" ? s.phase : s.status}`) ?? 0) + 1);
      const phases = [...counts].map(([p, c]) => `${p} ${Math.round((100 * c) / m.samples.length)} %`).join(", ");
      const progress = (s: (typeof m.samples)[number] | undefined) =>
        ["schools", "classes", "users", "enrollments"].map((k) => `${int(s?.progress?.[k] ?? 0)} ${k}`).join(", ");
      return `${phases} of ${m.samples.length} one-second samples; records read and staged: ${progress(m.samples[0])} at the start → ${progress(m.samples.at(-1))} at the end`;
    };
    const lines = [
      `API load test — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
      `Offered: ${rate} req/s of mixed reads over loopback, paced open-loop (round robin over 4 endpoints, keep-alive). "idle": ${baseline} s with no sync running` +
        ` (1-min load average ${idle ? fmt(idle.load1) : "–"}, sender p99 lateness ${idle ? late(idle) : "–"} ms); "during sync": ${duration} s while a ${size} OneRoster sync runs` +
        ` (load average ${fmt(busy.load1)}, sender p99 lateness ${late(busy)} ms). API, worker, simulator, Postgres and Redis share the machine.`,
      `The ${size} sync during the window: ${phasesSeen(busy)}.`,
      `CPU used during the window, as a share of one core: ${busy.shares.join(", ")} (idle window: ${idle ? idle.shares.join(", ") : "–"})` +
        `${niceness ? `; worker and simulator ran at nice ${niceness}` : ""}.`,
      "",
      "| window | endpoint | requests | offered req/s | answered 2xx/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors/timeouts | API CPU ms/request (user + sys) |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...(idle ? phaseRows("idle", idle, false) : []),
      ...phaseRows("during sync", busy, true),
    ];
    console.log(lines.join("\n"));
    await runDb.close();

    // Bounded: cancel the big sync rather than wait for it.
    await call("POST", `/providers/${bigId}/sync/cancel`).catch(() => undefined);
    const end = await until("the big sync to end", async () => {
      const r = await runOf(bigRun);
      return terminal.includes(r.status) && r;
    }, 60_000, 500).catch(() => undefined);
    console.error(`bench:api: big sync ended ${end?.status ?? "(still running)"}`);
  } finally {
    for (const c of [worker, api, peer]) c?.kill("SIGTERM");
    await Promise.race([Promise.all(children.map(exited)), new Promise((r) => setTimeout(r, 15_000))]);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await admin.pool.query(`drop database if exists "${dbName}" with (force)`).catch((e) => console.error(`drop database: ${e.message}`));
    await admin.close();
    const redis = createRedis(REDIS_URL, "worker");
    await deleteKeysByPrefix(redis, prefix);
    await redis.quit();
  }
}

if (process.argv.includes("--role=peer")) {
  peerRole().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(1);
    },
  );
}
