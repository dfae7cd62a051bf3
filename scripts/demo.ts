/**
 * `pnpm demo`: the whole service on embedded defaults (PostgreSQL and Redis under .data/ when no
 * URLs are set), an in-process sync worker, and the SIS simulator; then a demo tenant with one
 * provider of each type pointing at the simulator, a first sync of each, and a sign-in link.
 *
 *   pnpm demo [--size tiny|small|medium] [--seed N] [--tenant demo-district]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { mintToken, startApi } from "@sis-sync/api";
import { loadConfig } from "@sis-sync/config";
import { createLogger } from "@sis-sync/logger";
import { startSyncWorker } from "@sis-sync/worker";
// The simulator is a dev-only package the root does not depend on; the demo is its one user here.
import { generateDistrict, startSimulator, type DistrictParams } from "../packages/sis-simulator/src";
import { startDevServices } from "./dev-services";

function argument(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
}

// A district big enough that the progress bars have something to show and small enough that
// the first syncs finish in seconds on a laptop: ≈ 1,100 users, 96 classes, 3,000 enrollments.
const DEMO_SIZES: Record<string, Omit<DistrictParams, "seed">> = {
  tiny: { schools: 2, teachersPerSchool: 3, studentsPerSchool: 12, classesPerSchool: 4, enrollmentsPerStudent: 2 },
  small: { schools: 4, teachersPerSchool: 20, studentsPerSchool: 250, classesPerSchool: 24, enrollmentsPerStudent: 3 },
  medium: { schools: 10, teachersPerSchool: 40, studentsPerSchool: 960, classesPerSchool: 48, enrollmentsPerStudent: 4 },
};

const UI_DIR = join(__dirname, "../apps/admin-ui");

function newestMtime(path: string): number {
  const st = statSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((m, n) => Math.max(m, newestMtime(join(path, n))), st.mtimeMs) : st.mtimeMs;
}

/** Builds apps/admin-ui/dist when it is missing or older than its sources. */
function ensureUiBuilt(log: (m: string) => void): void {
  const index = join(UI_DIR, "dist/index.html");
  const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((p) => join(UI_DIR, p)).filter(existsSync);
  if (existsSync(index) && Math.max(...sources.map(newestMtime)) <= statSync(index).mtimeMs) return;
  log("Building the admin UI…");
  const r = spawnSync("pnpm", ["--filter", "@sis-sync/admin-ui", "build"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error("The admin UI build failed (pnpm --filter @sis-sync/admin-ui build)");
}

async function main(): Promise<void> {
  const sizeName = argument("size") ?? "small";
  const size = DEMO_SIZES[sizeName];
  if (!size) throw new Error(`--size must be one of ${Object.keys(DEMO_SIZES).join(", ")}`);
  const seed = Number(argument("seed") ?? 1);
  const tenantId = argument("tenant") ?? "demo-district";

  // The simulator listens on 127.0.0.1, which the outbound host guard refuses unless told
  // otherwise (it exists to stop a tenant pointing the service at internal addresses).
  process.env.SIS_ALLOW_PRIVATE_HOSTS ??= "true";
  process.env.LOG_LEVEL ??= "warn";
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "sis-sync-demo" });
  const say = (m: string) => console.log(`[demo] ${m}`);
  if (config.NODE_ENV === "production") throw new Error("pnpm demo is for development; it refuses NODE_ENV=production");
  if (!config.AUTH_JWT_SECRET) throw new Error("pnpm demo signs its tokens with AUTH_JWT_SECRET; unset AUTH_JWKS_URL to use the development secret");

  ensureUiBuilt(say);
  say("Starting PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set)…");
  const services = await startDevServices({ dataDir: config.dataDir, databaseUrl: config.DATABASE_URL, redisUrl: config.REDIS_URL, logger });
  const api = await startApi({ config, logger, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl });
  const worker = await startSyncWorker({ config, logger, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl });

  const district = generateDistrict({ ...size, seed });
  const sim = await startSimulator({ district });
  say(`Simulator up: ${district.org.name}, ${district.schools.count} schools, ${district.users.count} users, ${district.classes.count} classes, ${district.enrollments.count} enrollments`);

  const platformToken = await mintToken({ secret: config.AUTH_JWT_SECRET, sub: "demo-platform-admin", roles: ["PLATFORM_ADMIN"] });
  const districtToken = await mintToken({ secret: config.AUTH_JWT_SECRET, sub: "demo-district-admin", roles: ["DISTRICT_ADMIN"], tenantId });

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${platformToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const c = sim.clever.credentials;
  const o = sim.oneroster.credentials;
  const l = sim.classlink.credentials;
  const s = sim.sftp.credentials;
  const wanted = [
    { providerType: "CLEVER", name: "Clever (simulator)", syncSchedule: "daily", config: { clientId: c.clientId, clientSecret: c.clientSecret, districtId: c.districtId, baseUrl: c.baseUrl, tokenUrl: c.tokenUrl } },
    { providerType: "CLASSLINK", name: "ClassLink (simulator)", syncSchedule: "twice-daily", config: { clientId: l.clientId, clientSecret: l.clientSecret, tenantId: l.tenantId, baseUrl: l.baseUrl } },
    { providerType: "ONEROSTER_API", name: "OneRoster API (simulator)", syncSchedule: "every-6-hours", config: { baseUrl: o.baseUrl, clientId: o.clientId, clientSecret: o.clientSecret, auth: "oauth1" } },
    {
      providerType: "ONEROSTER_CSV",
      name: "OneRoster CSV over SFTP (simulator)",
      syncSchedule: "weekdays",
      config: { sftp: { host: s.host, port: s.port, username: s.username, privateKey: s.privateKey, hostKeySha256: s.hostKeySha256 }, remotePath: s.remotePath },
    },
  ] as const;

  // Re-running the demo reuses .data/: update the same providers (keeping their history) with
  // this run's simulator ports and credentials rather than piling up new ones.
  type Provider = { id: string; name: string; providerType: string };
  const existing = await call<{ data: Provider[] }>("GET", `/api/v1/tenants/${encodeURIComponent(tenantId)}/providers?limit=200`);
  const ids: string[] = [];
  for (const w of wanted) {
    const found = existing.data.find((p) => p.providerType === w.providerType && p.name === w.name);
    const body = { name: w.name, config: w.config, syncSchedule: w.syncSchedule, syncTimezone: "UTC", enabled: true };
    const p = found
      ? await call<Provider>("PATCH", `/api/v1/providers/${found.id}`, body)
      : await call<Provider>("POST", "/api/v1/providers", { tenantId, providerType: w.providerType, ...body });
    const test = await call<{ success: boolean; message: string }>("POST", `/api/v1/providers/${p.id}/test`);
    say(`${found ? "Updated" : "Created"} ${w.providerType.padEnd(13)} ${p.name}: connection ${test.success ? "OK" : "FAILED"} (${test.message})`);
    ids.push(p.id);
  }
  for (const id of ids) {
    const res = await fetch(`${api.url}/api/v1/providers/${id}/sync`, {
      method: "POST",
      headers: { authorization: `Bearer ${platformToken}`, "content-type": "application/json" },
      body: "{}",
    });
    if (res.status !== 202 && res.status !== 409) say(`Could not start a sync for ${id}: ${res.status} ${await res.text()}`);
  }

  const ui = `${api.url}/integrations/sis/`;
  console.log(
    [
      "",
      "sis-sync demo is running. A first sync of every provider has started.",
      "",
      `  Admin UI (signs you in as DISTRICT_ADMIN of ${tenantId}):`,
      `    ${ui}#token=${districtToken}`,
      "",
      `  Or open ${ui} and paste this DISTRICT_ADMIN token:`,
      `    ${districtToken}`,
      "",
      `  PLATFORM_ADMIN token (tenant picker, Bull Board at ${api.url}/admin/queues):`,
      `    ${platformToken}`,
      "",
      `  API docs: ${api.url}/docs`,
      "  Simulator credentials: run `pnpm sim` for a standalone simulator with printed credentials.",
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say("Stopping…");
    await worker.close(5_000).catch(() => undefined);
    await api.close().catch(() => undefined);
    await sim.close().catch(() => undefined);
    await services.stop().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
