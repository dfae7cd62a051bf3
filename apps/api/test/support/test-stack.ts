import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { loadConfig, type AppConfig } from "@sis-sync/config";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { createLogger } from "@sis-sync/logger";
import { createRedis, deleteKeysByPrefix } from "@sis-sync/queue";
import { startSyncWorker, type ConnectorFactory, type SyncWorkerHandle } from "@sis-sync/worker";
import { mintToken, startApi, type ApiHandle } from "../../src";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ROOT = resolve(__dirname, "../../../..");

export interface TestStackOptions {
  /** Run a sync worker inside the test process (with an optional connector double). */
  inProcessWorker?: boolean;
  connectorFactory?: ConnectorFactory;
  env?: Record<string, string>;
  /** Redis for this stack (default TEST_REDIS_URL), e.g. a throwaway redis-server a test restarts. */
  redisUrl?: string;
  /** Postgres server for this stack's database (default TEST_DATABASE_ADMIN_URL), e.g. a private cluster a test restarts. */
  databaseAdminUrl?: string;
  /** Also write the in-process API's and worker's log lines here (tests that read every line). */
  logStream?: NodeJS.WritableStream;
}

export interface TestStack {
  baseUrl: string;
  config: AppConfig;
  env: Record<string, string>;
  db: TestDatabase;
  api: ApiHandle;
  worker?: SyncWorkerHandle;
  token(claims: { roles: string[]; tenantId?: string; sub?: string; expiresIn?: string }): Promise<string>;
  request<T = any>(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  spawnWorker(extraEnv?: Record<string, string>): ChildProcess;
  restartApi(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real service on a fresh database and Redis key prefix: API (and optionally a worker)
 * in-process, worker processes on demand. Every file gets its own, so files run in parallel.
 */
export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const db = await createTestDatabase(opts.databaseAdminUrl);
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const prefix = `sis-test-${randomBytes(5).toString("hex")}`;
  const env: Record<string, string> = {
    NODE_ENV: "test",
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
    CONFIG_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    AUTH_JWT_SECRET: randomBytes(32).toString("hex"),
    SIS_ALLOW_PRIVATE_HOSTS: "true",
    SYNC_LOCK_TIMEOUT: "6000",
    SYNC_JOB_LOCK_MS: "3000",
    WORKER_SHUTDOWN_GRACE_MS: "3000",
    DATA_DIR: resolve(ROOT, ".data/test"),
    ...opts.env,
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: config.LOG_LEVEL, service: "test", stream: opts.logStream });
  let api = await startApi({ config, logger, databaseUrl: db.url, redisUrl });
  const worker = opts.inProcessWorker
    ? await startSyncWorker({ config, logger, databaseUrl: db.url, redisUrl, connectorFactory: opts.connectorFactory })
    : undefined;
  const children: ChildProcess[] = [];

  const stack: TestStack = {
    get baseUrl() {
      return api.url;
    },
    config,
    env,
    db,
    get api() {
      return api;
    },
    worker,
    token: (claims) => mintToken({ secret: config.AUTH_JWT_SECRET!, ...claims }),
    async request(method, path, { token, body, raw, headers = {} } = {}) {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as never, headers: res.headers };
    },
    spawnWorker(extraEnv = {}) {
      const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "apps/worker/src/main.ts")], {
        cwd: ROOT,
        env: { ...process.env, ...env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.resume();
      child.stderr?.resume();
      children.push(child);
      return child;
    },
    async restartApi() {
      await api.close();
      api = await startApi({ config, logger, databaseUrl: db.url, redisUrl });
    },
    async close() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await worker?.close(1_000);
      await api.close();
      const redis = createRedis(redisUrl, "worker");
      await deleteKeysByPrefix(redis, prefix);
      await redis.quit();
      await db.drop();
    },
  };
  return stack;
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, { timeoutMs = 20_000, intervalMs = 100, what = "condition" } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
