/**
 * The sync engine benchmark (issue #4): `pnpm bench` runs small and medium, `pnpm bench --large`
 * adds 1 M users / 5 M enrollments, `--sizes=small` picks sizes. Each step runs in its own process
 * (bench-child.ts) against a fresh database that is dropped afterwards. Prints tables, not pass/fail.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
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
}

function step(params: Record<string, string | number>): Promise<StepResult> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(__dirname, "bench-child.ts"), ...Object.entries(params).map(([k, v]) => `${k}=${v}`)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  return new Promise((res, rej) =>
    child.on("exit", (code) => (code === 0 ? res(JSON.parse(out.trim().split("\n").pop()!)) : rej(new Error(`bench step ${JSON.stringify(params)} exited ${code}`)))),
  );
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtRate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")}/s`;
const statsLine = (s: StepResult["stats"]) =>
  s ? Object.entries(s).map(([k, v]) => `${k} +${v.created} ~${v.updated} -${v.deactivated} =${v.unchanged}${v.errors ? ` !${v.errors}` : ""}`).join("; ") : "";

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
      const p = DISTRICT_SIZES[size];
      const { rows } = await handle.pool.query<{ id: string; tenantId: string }>(
        `insert into sis_providers (tenant_id, provider_type, name, config_encrypted) values ($1, 'ONEROSTER_API', $2, 'v1.bench') returning id, tenant_id as "tenantId"`,
        [`bench-${size}`, `bench ${size}`],
      );
      const provider = rows[0];
      const common = { size, url: url.toString() };
      const read = await step({ ...common, task: "read" });
      const floor = await step({ ...common, task: "floor" });
      const floorUnlogged = await step({ ...common, task: "floor", unlogged: "true" });
      const sync = { ...common, task: "sync", provider: provider.id, tenant: provider.tenantId };
      const full = await step({ ...sync, day: 0 });
      const same = await step({ ...sync, day: 0 });
      const changed = await step({ ...sync, day: 1 });
      const users = p.schools * (p.teachersPerSchool + p.studentsPerSchool);
      console.log(`## ${size}: ${read.records.toLocaleString("en-US")} records (≈${users.toLocaleString("en-US")} users), floor ${fmtS(floor.ms)}, source read ${fmtS(read.ms)}`);
      console.log("| step | wall time | rows/s | peak RSS | × floor | × source read | result |");
      console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
      const row = (label: string, r: StepResult) =>
        console.log(
          `| ${label} | ${fmtS(r.ms)} | ${fmtRate(r.records, r.ms)} | ${r.peakRssMiB.toFixed(0)} MiB | ${(r.ms / floor.ms).toFixed(2)} | ${(r.ms / read.ms).toFixed(2)} | ${r.status ?? ""} ${statsLine(r.stats)}${r.errorMessage ? ` (${r.errorMessage})` : ""} |`,
        );
      row("read source (no writes)", read);
      row("floor: raw COPY into plain tables", floor);
      row("(floor into UNLOGGED tables, like staging)", floorUnlogged);
      row("full sync (first run)", full);
      row("no-change re-sync", same);
      row("1 %-change re-sync", changed);
      console.log("");
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
