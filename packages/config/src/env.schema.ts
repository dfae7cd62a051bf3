import { z } from "zod";
import { envBoolean, envInt, optionalString } from "./env-helpers";

/** Every environment variable the service reads; `loadConfig` parses them once at start-up. */
export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  /** Prefix of every Redis key (queues, flags, limiter); lets tests and tenants of one Redis stay apart. */
  REDIS_PREFIX: optionalString.pipe(z.string().regex(/^[A-Za-z0-9:_-]+$/).default("sis-sync")),
  PORT: envInt(3000, 0, 65535),
  HOST: optionalString.pipe(z.string().default("0.0.0.0")),
  LOG_LEVEL: optionalString.pipe(z.enum(["error", "warn", "info", "http", "verbose", "debug", "silly"]).default("info")),
  MAX_CONCURRENT_SYNCS: envInt(2, 1, 1000),
  SYNC_LOCK_TIMEOUT: envInt(1_800_000, 1_000),
  WORKER_CONCURRENCY: envInt(2, 1, 100),
  /**
   * BullMQ lock on an active sync job, renewed by the worker at half this period. A worker
   * that dies loses its lock after this long and another worker takes the job back.
   */
  SYNC_JOB_LOCK_MS: envInt(30_000, 1_000),
  /** Grace period for a worker's SIGTERM before it hands its sync back (keep below the pod's terminationGracePeriodSeconds). */
  WORKER_SHUTDOWN_GRACE_MS: envInt(25_000, 0),
  /** Comma-separated `keyId:base64key` pairs (32-byte keys); the last one encrypts, all decrypt. */
  CONFIG_ENCRYPTION_KEYS: optionalString,
  AUTH_JWT_SECRET: optionalString,
  AUTH_JWKS_URL: optionalString.pipe(z.url().optional()),
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  /** Run a sync worker inside the API process (development convenience; production runs apps/worker). */
  EMBEDDED_WORKER: envBoolean(false),
  SIS_ALLOW_PRIVATE_HOSTS: envBoolean(false),
  /** Where development keeps its generated secrets, embedded Postgres and Redis data. */
  DATA_DIR: optionalString.pipe(z.string().default(".data")),
  STAGING_RETENTION_DAYS: envInt(7, 0),
  /**
   * Days a roster change stays in the change feed (issue #9) before the worker prunes it; 0 keeps
   * changes forever. Changes a webhook has yet to deliver are kept past it (docs/change-feed.md).
   * Capped at 100 years so a typo stays a number of days Postgres can subtract from now().
   */
  CHANGE_FEED_RETENTION_DAYS: envInt(30, 0, 36_500),
  /** Webhook deliveries (issue #9): first retry after this many ms, doubling each attempt. */
  WEBHOOK_RETRY_BASE_MS: envInt(30_000, 10),
  /** Attempts before a delivery is dead-lettered. */
  WEBHOOK_MAX_ATTEMPTS: envInt(5, 1, 50),
  WEBHOOK_TIMEOUT_MS: envInt(10_000, 100),
  /** How often the worker turns new changes into deliveries even when no run finished (a missed dispatch, a new endpoint). */
  WEBHOOK_SWEEP_MS: envInt(10_000, 100),
  REQUEST_BODY_LIMIT: optionalString.pipe(z.string().default("256kb")),
});

export type Env = z.infer<typeof envSchema>;
