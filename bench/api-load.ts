/**
 * API load test (issue #8): `pnpm bench:api [--size=medium|small] [--rate=200] [--duration=30] [--baseline=10]`.
 *
 * On 127.0.0.1 only, against the system Postgres/Redis (a fresh database, created and dropped,
 * and a unique REDIS_PREFIX): the API and one sync worker run as separate processes from their
 * production entries (apps/api/src/main.ts, apps/worker/src/main.ts), the simulator's OneRoster
 * peers in a third. A `small` district is synced first so the roster reads return rows; then a
 * large sync (`medium` by default) runs while autocannon sends mixed reads at a fixed overall
 * rate (provider list, run list, sync status, roster users page), after a short idle baseline
 * with the same mix. Bounded: at most rate ×
 * duration requests, and the whole run is killed after BENCH_TIMEOUT_MS (10 min).
 * Prints a Markdown table (not pass/fail).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import autocannon from "autocannon";
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
  const size = arg("size", "medium") as keyof typeof DISTRICT_SIZES;
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
function child(file: string, args: string[], env: Record<string, string>, name: string): ChildProcess {
  const c = spawn(process.execPath, ["--import", "tsx", file, ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

/** CPU time (user + system) a process has used so far, from /proc (Linux), in ms. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const size = arg("size", "medium");
  const rate = Number(arg("rate", "200"));
  const duration = Number(arg("duration", "30"));
  const baseline = Number(arg("baseline", "10"));
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
    peer = child(__filename, ["--role=peer", `--size=${size}`], {}, "peer");
    const peerInfo = new Promise<{ small: Record<string, string>; big: Record<string, string> }>((res, rej) => {
      let buf = "";
      peer!.stdout!.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) res(JSON.parse(buf.split("\n")[0]));
      });
      peer!.once("exit", (code) => rej(new Error(`simulator exited ${code}`)));
    });
    api = child(resolve(ROOT, "apps/api/src/main.ts"), [], env, "api");
    api.stdout!.resume();
    await until("the API to be ready", async () => (await fetch(`${base}/readyz`)).ok, 180_000);
    worker = child(resolve(ROOT, "apps/worker/src/main.ts"), [], env, "worker");
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

    const endpoints = (providerId: string) => [
      { name: "provider list", path: `/api/v1/tenants/bench-district/providers` },
      { name: "run list", path: `/api/v1/providers/${providerId}/runs?limit=20` },
      { name: "sync status", path: `/api/v1/providers/${providerId}/sync/status` },
      { name: "roster users page", path: `/api/v1/tenants/bench-district/users?limit=50&offset=500` },
    ];
    /** `seconds` of the mixed reads at `rate` req/s overall (split evenly over the endpoints). */
    const measure = async (seconds: number) => {
      const load1 = loadavg()[0];
      const cpu0 = cpuMs(api!.pid!);
      const list = endpoints(bigId);
      const perRate = rate / list.length;
      const rows = await Promise.all(
        list.map(async (e) => {
          const latencies: number[] = [];
          const options = { url: `${base}${e.path}`, headers: { authorization: `Bearer ${token}` }, connections: 10, overallRate: perRate, duration: seconds, timeout: 10 };
          const result = await new Promise<autocannon.Result>((res, rej) => {
            const inst = autocannon(options, (err, r) => (err ? rej(err) : res(r)));
            inst.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
          });
          return { ...e, latencies: latencies.sort((a, b) => a - b), result };
        }),
      );
      const apiCpuMs = cpuMs(api!.pid!) - cpu0;
      return { rows, load1, apiCpuMs };
    };

    const idle = baseline > 0 ? await measure(baseline) : undefined;
    const bigRun = (await call("POST", `/providers/${bigId}/sync`, {})).runId as string;
    await until("the big sync to start", async () => (await runOf(bigRun)).status === "IN_PROGRESS", 60_000);
    // Let it get into its stride (paging the source, staging rows) before measuring.
    await new Promise((r) => setTimeout(r, 3_000));
    const busy = await measure(duration);
    const during = await runOf(bigRun);
    const runStateDuring = `${during.status}${during.phase ? ` / ${during.phase}` : ""}`;

    const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
    const errorsOf = (r: autocannon.Result) => r.errors + r.timeouts + r.non2xx;
    const row = (phase: string, name: string, lat: number[], count: number, secs: number, errors: number, cpuPerReq = "") =>
      `| ${phase} | ${name} | ${count} | ${(count / secs).toFixed(1)} | ${fmt(percentile(lat, 50))} | ${fmt(percentile(lat, 97.5))} | ${fmt(percentile(lat, 99))} | ${fmt(lat[lat.length - 1])} | ${errors} | ${cpuPerReq} |`;
    const phaseRows = (phase: string, m: Awaited<ReturnType<typeof measure>>, perEndpoint: boolean) => [
      ...(perEndpoint ? m.rows.map((r) => row(phase, r.name, r.latencies, r.result.requests.total, r.result.duration, errorsOf(r.result))) : []),
      row(
        phase,
        "**all (mixed)**",
        m.rows.flatMap((r) => r.latencies).sort((a, b) => a - b),
        m.rows.reduce((s, r) => s + r.result.requests.total, 0),
        Math.max(...m.rows.map((r) => r.result.duration)),
        m.rows.reduce((s, r) => s + errorsOf(r.result), 0),
        (m.apiCpuMs / Math.max(1, m.rows.reduce((s, r) => s + r.result.requests.total, 0))).toFixed(2),
      ),
    ];
    const lines = [
      `API load test — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}.`,
      `Target ${rate} req/s of mixed reads over loopback (4 endpoints × ${rate / 4} req/s, 10 connections each); "idle": ${baseline} s with no sync running` +
        ` (1-min load average ${idle ? idle.load1.toFixed(1) : "–"}); "during sync": ${duration} s while a ${size} OneRoster sync runs (load average ${busy.load1.toFixed(1)};` +
        ` run ${runStateDuring} when the load ended). API, worker, simulator, Postgres and Redis share the machine.`,
      "",
      "| phase | endpoint | requests | req/s | p50 ms | p97.5 ms | p99 ms | max ms | errors | API CPU ms/request |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...(idle ? phaseRows("idle", idle, false) : []),
      ...phaseRows("during sync", busy, true),
    ];
    console.log(lines.join("\n"));

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
