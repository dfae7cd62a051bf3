/**
 * The sync engine benchmark (issue #4): `pnpm bench` runs small and medium, `pnpm bench --large`
 * adds 1 M users / 5 M enrollments, `--sizes=small` picks sizes, `--incremental` and `--http`
 * add the issue #9 comparisons (`--http-only`: only the over-HTTP one). Each step runs in its own process
 * (bench-child.ts) against a fresh database that is dropped afterwards. Prints tables, not pass/fail.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDb, runMigrations } from "../packages/db/src";
import { DISTRICT_SIZES, type DistrictSize } from "../packages/sis-simulator/src/generator";

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const argv = process.argv.slice(2);
const sizesArg = argv.find((a) => a.startsWith("--sizes="))?.split("=")[1];
const sizes: DistrictSize[] = sizesArg ? (sizesArg.split(",") as DistrictSize[]) : ["small", "medium", ...(argv.includes("--large") ? (["large"] as const) : [])];

interface StepResult {
  ms: number;
  peakRssMiB: number;
  records: number;
  status?: string;
  stats?: Record<string, { created: number; updated: number; deactivated: number; unchanged: number; errors: number }>;
  errorMessage?: string | null;
  nextCursor?: string | null;
}

function step(params: Record<string, string | number>): Promise<StepResult> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", resolve(__dirname, "bench-child.ts"), ...Object.entries(params).map(([k, v]) => `${k}=${v}`)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  return new Promise((res, rej) =>
    child.on("exit", (code) => (code === 0 ? res(JSON.parse(out.trim().split("\n").pop()!)) : rej(new Error(`bench step ${JSON.stringify(params)} exited ${code}`)))),
  );
}

/**
 * The median of `runs` runs of a step that changes nothing (the source read, a no-change re-sync):
 * on a 2-core VM one run of either varies by ±30 % (mostly garbage collection and the neighbours),
 * enough to flip the no-change target either way. Peak RSS is the highest of the runs.
 */
async function medianStep(params: Record<string, string | number>, runs = 3): Promise<StepResult> {
  const results: StepResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await step(params));
  results.sort((a, b) => a.ms - b.ms);
  return { ...results[Math.floor(runs / 2)], peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)) };
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtRate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")}/s`;
const statsLine = (s: StepResult["stats"]) =>
  s ? Object.entries(s).map(([k, v]) => `${k} +${v.created} ~${v.updated} -${v.deactivated} =${v.unchanged}${v.errors ? ` !${v.errors}` : ""}`).join("; ") : "";

/**
 * `--incremental` (issue #9): the same 1 %-change day synced incrementally by a second tenant (its
 * own full day 0 first), against the full day-1 sync above; then both tenants' rosters are compared
 * row by row, keyed by external ids (entity ids differ between tenants). Target: ≥ 20× faster.
 */
const incremental = argv.includes("--incremental");

async function rosterFingerprint(handle: ReturnType<typeof createDb>, tenant: string): Promise<Record<string, string>> {
  const queries: Record<string, string> = {
    schools: `select s.external_id, s.status, e.status, e.name, e.school_number, e.nces_id
                from roster_schools e join roster_school_sources s on s.entity_id = e.id where e.tenant_id = $1`,
    classes: `select s.external_id, s.status, e.status, e.title, e.class_code, e.subject, e.period, e.term_external_id, e.term_name,
                     e.term_start_date, e.term_end_date, e.course_external_id, e.course_title, ps.external_id
                from roster_classes e join roster_class_sources s on s.entity_id = e.id
                join roster_school_sources ps on ps.entity_id = e.school_id where e.tenant_id = $1`,
    users: `select s.external_id, s.status, e.status, e.role, e.given_name, e.family_name, e.email, e.username, e.student_number, e.grades
              from roster_users e join roster_user_sources s on s.entity_id = e.id where e.tenant_id = $1`,
    enrollments: `select s.external_id, s.status, e.status, e.role, e."primary", e.begin_date, e.end_date, pc.external_id, pu.external_id
                    from roster_enrollments e join roster_enrollment_sources s on s.entity_id = e.id
                    join roster_class_sources pc on pc.entity_id = e.class_id join roster_user_sources pu on pu.entity_id = e.user_id
                   where e.tenant_id = $1`,
  };
  const out: Record<string, string> = {};
  for (const [kind, q] of Object.entries(queries)) {
    const { rows } = await handle.pool.query(`select count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from (${q}) x`, [tenant]);
    out[kind] = `${rows[0].n} rows, md5 ${rows[0].h}`;
  }
  return out;
}

async function incrementalSteps(handle: ReturnType<typeof createDb>, size: string, common: Record<string, string>, fullDay1: StepResult, fullTenant: string) {
  const { rows } = await handle.pool.query<{ id: string; tenantId: string }>(
    `insert into sis_providers (tenant_id, provider_type, name, config_encrypted) values ($1, 'ONEROSTER_API', $2, 'v1.bench') returning id, tenant_id as "tenantId"`,
    [`bench-${size}-incremental`, `bench ${size} incremental`],
  );
  const sync = { ...common, task: "sync", provider: rows[0].id, tenant: rows[0].tenantId };
  await step({ ...sync, day: 0 });
  const deltaFile = join(tmpdir(), `sis-bench-delta-${size}-${process.pid}.json`);
  await step({ ...common, task: "delta", day: 1, out: deltaFile });
  const inc = await step({ ...sync, day: 1, mode: "incremental", deltaFile }).finally(() => rmSync(deltaFile, { force: true }));
  const [a, b] = [await rosterFingerprint(handle, fullTenant), await rosterFingerprint(handle, rows[0].tenantId)];
  const same = JSON.stringify(a) === JSON.stringify(b);
  console.log(`### ${size}: 1 %-change day, incremental vs full (issue #9; target ≥ 20× faster)`);
  console.log("| step | wall time | records read | peak RSS | result |");
  console.log("| --- | ---: | ---: | ---: | --- |");
  console.log(`| full sync of day 1 | ${fmtS(fullDay1.ms)} | ${fullDay1.records.toLocaleString("en-US")} | ${fullDay1.peakRssMiB.toFixed(0)} MiB | ${fullDay1.status ?? ""} ${statsLine(fullDay1.stats)} |`);
  console.log(`| incremental sync of day 1 | ${fmtS(inc.ms)} | ${inc.records.toLocaleString("en-US")} | ${inc.peakRssMiB.toFixed(0)} MiB | ${inc.status ?? ""} ${statsLine(inc.stats)} |`);
  console.log(`\nspeed-up ${(fullDay1.ms / inc.ms).toFixed(1)}×; rosters after both ${same ? "IDENTICAL" : "DIFFERENT"}`);
  for (const k of Object.keys(a)) console.log(`- ${k}: full ${a[k]}${a[k] === b[k] ? " (same)" : ` / incremental ${b[k]}`}`);
  console.log("");
}

/**
 * `--http` (issue #9): the same comparison with both syncs reading the simulator's OneRoster REST
 * peer (sim-child.ts, its own process) over loopback HTTP through the production connector, its
 * OAuth, page size and rate limit, as a district's nightly sync reads its SIS. Two more tenants,
 * each synced in full on day 0 over HTTP (the incremental one keeps its cursor); then day 1.
 */
const overHttp = argv.includes("--http");

interface SimProcess {
  credentials: { baseUrl: string; clientId: string; clientSecret: string };
  send(command: string): Promise<void>;
  close(): void;
}

function startSim(size: string): Promise<SimProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(__dirname, "sim-child.ts"), `size=${size}`], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const waiting: ((line: string) => void)[] = [];
  let buffered = "";
  child.stdout.on("data", (c: Buffer) => {
    buffered += c.toString();
    let i: number;
    while ((i = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  // A simulator that dies answers every pending and later command with an error, not silence.
  let exited: string | null = null;
  child.on("exit", (code) => {
    exited = `error simulator exited with ${code}`;
    for (const w of waiting.splice(0)) w(exited);
  });
  const nextLine = () => new Promise<string>((res) => (exited ? res(exited) : waiting.push(res)));
  return nextLine().then((first) => {
    if (first.startsWith("error")) throw new Error(first);
    return {
      credentials: JSON.parse(first) as SimProcess["credentials"],
      async send(command: string) {
        const answer = nextLine();
        child.stdin.write(command + "\n");
        const line = await answer;
        if (line !== "ok") throw new Error(`simulator: ${command}: ${line}`);
      },
      close: () => void child.kill(),
    };
  });
}

async function httpSteps(handle: ReturnType<typeof createDb>, size: string, common: Record<string, string>) {
  const provider = async (name: string) =>
    (
      await handle.pool.query<{ id: string; tenantId: string }>(
        `insert into sis_providers (tenant_id, provider_type, name, config_encrypted) values ($1, 'ONEROSTER_API', $2, 'v1.bench') returning id, tenant_id as "tenantId"`,
        [`bench-${size}-${name}`, `bench ${size} ${name}`],
      )
    ).rows[0];
  const [full, inc] = [await provider("http-full"), await provider("http-incremental")];
  const sim = await startSim(size);
  try {
    const sync = (p: { id: string; tenantId: string }) => ({ ...common, ...sim.credentials, task: "sync", provider: p.id, tenant: p.tenantId });
    const full0 = await step(sync(full));
    const inc0 = await step(sync(inc));
    const cursor = inc0.nextCursor;
    if (!cursor) throw new Error("the day-0 sync over HTTP returned no cursor");
    await sim.send("day 1");
    await sim.send(`warm ${cursor}`);
    const full1 = await step(sync(full));
    const inc1 = await step({ ...sync(inc), mode: "incremental", cursor });
    const [a, b] = [await rosterFingerprint(handle, full.tenantId), await rosterFingerprint(handle, inc.tenantId)];
    const same = JSON.stringify(a) === JSON.stringify(b);
    console.log(`### ${size}: 1 %-change day over HTTP (OneRoster REST peer, production connector and rate limit), incremental vs full`);
    console.log("| step | wall time | records read | peak RSS | result |");
    console.log("| --- | ---: | ---: | ---: | --- |");
    const row = (label: string, r: StepResult) =>
      console.log(`| ${label} | ${fmtS(r.ms)} | ${r.records.toLocaleString("en-US")} | ${r.peakRssMiB.toFixed(0)} MiB | ${r.status ?? ""} ${statsLine(r.stats)}${r.errorMessage ? ` (${r.errorMessage})` : ""} |`);
    row("first full sync (day 0)", full0);
    row("full sync of day 1", full1);
    row("incremental sync of day 1", inc1);
    console.log(`\nspeed-up ${(full1.ms / inc1.ms).toFixed(1)}×; rosters after both ${same ? "IDENTICAL" : "DIFFERENT"}`);
    for (const k of Object.keys(a)) console.log(`- ${k}: full ${a[k]}${a[k] === b[k] ? " (same)" : ` / incremental ${b[k]}`}`);
    console.log("");
  } finally {
    sim.close();
  }
}

async function main() {
  const name = `sis_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = createDb(ADMIN_URL, { max: 1 });
  await admin.pool.query(`create database "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = createDb(url.toString(), { max: 2 });
  await runMigrations(handle.pool);
  const pgVersion = (await handle.pool.query("show server_version")).rows[0].server_version;
  console.log(`sis-sync engine benchmark — Node ${process.version}, Postgres ${pgVersion}, ${execFileSync("nproc").toString().trim()} cores\n`);
  try {
    for (const size of sizes) {
      if (argv.includes("--http-only")) {
        await httpSteps(handle, size, { size, url: url.toString() });
        continue;
      }
      const p = DISTRICT_SIZES[size];
      const { rows } = await handle.pool.query<{ id: string; tenantId: string }>(
        `insert into sis_providers (tenant_id, provider_type, name, config_encrypted) values ($1, 'ONEROSTER_API', $2, 'v1.bench') returning id, tenant_id as "tenantId"`,
        [`bench-${size}`, `bench ${size}`],
      );
      const provider = rows[0];
      const common = { size, url: url.toString() };
      const read = await medianStep({ ...common, task: "read" });
      const floor = await step({ ...common, task: "floor" });
      const floorUnlogged = await step({ ...common, task: "floor", unlogged: "true" });
      const sync = { ...common, task: "sync", provider: provider.id, tenant: provider.tenantId };
      const full = await step({ ...sync, day: 0 });
      const same = await medianStep({ ...sync, day: 0 });
      const changed = await step({ ...sync, day: 1 });
      const users = p.schools * (p.teachersPerSchool + p.studentsPerSchool);
      console.log(`## ${size}: ${read.records.toLocaleString("en-US")} records (≈${users.toLocaleString("en-US")} users), floor ${fmtS(floor.ms)}, source read ${fmtS(read.ms)}`);
      console.log("| step | wall time | rows/s | peak RSS | × floor | × source read | result |");
      console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
      const row = (label: string, r: StepResult) =>
        console.log(
          `| ${label} | ${fmtS(r.ms)} | ${fmtRate(r.records, r.ms)} | ${r.peakRssMiB.toFixed(0)} MiB | ${(r.ms / floor.ms).toFixed(2)} | ${(r.ms / read.ms).toFixed(2)} | ${r.status ?? ""} ${statsLine(r.stats)}${r.errorMessage ? ` (${r.errorMessage})` : ""} |`,
        );
      row("read source (no writes; median of 3)", read);
      row("floor: raw COPY into plain tables", floor);
      row("(floor into UNLOGGED tables, like staging)", floorUnlogged);
      row("full sync (first run)", full);
      row("no-change re-sync (median of 3)", same);
      row("1 %-change re-sync", changed);
      console.log("");
      if (incremental) await incrementalSteps(handle, size, common, changed, provider.tenantId);
      if (overHttp) await httpSteps(handle, size, common);
    }
  } finally {
    await handle.close();
    await admin.pool.query(`drop database if exists "${name}" with (force)`);
    await admin.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
