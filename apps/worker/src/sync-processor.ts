import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { UnrecoverableError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { AppConfig } from "@sis-sync/config";
import type { ConfigCipher, DbHandle, RunProgress, SisProviderRow, SyncPhase } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import { clearCancel, isCancelRequested, syncJobSchema, type CancellationWatcher } from "@sis-sync/queue";
import { ConnectorError, type SisConnector } from "@sis-sync/roster";
import { executeSync, type SyncOutcome } from "@sis-sync/sync-engine";
import type { ConnectorDeps } from "@sis-sync/connectors";
import { claimRun, createScheduledRun, decideRunMode, endPendingRun, finishRun, getLiveProvider, handBackRun, heartbeat, setRunMode } from "./run-store";

export type ConnectorFactory = (providerType: SisProviderRow["providerType"], config: unknown, deps: ConnectorDeps) => SisConnector;

export interface SyncProcessorDeps {
  config: AppConfig;
  db: DbHandle;
  redis: Redis;
  cipher: ConfigCipher;
  logger: Logger;
  watcher: CancellationWatcher;
  createConnector: ConnectorFactory;
  /** Aborted (reason "shutdown") when this worker's grace period runs out. */
  shutdownSignal: AbortSignal;
  /** Called (never awaited) after a run's terminal state is written: webhook dispatch, issue #9. */
  onRunFinished?: (tenantId: string) => void;
}

export const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

const PROGRESS_FLUSH_MS = 1_000;

// Postgres went away under the run (restart, failover, admin termination, network cut). pg's
// "not queryable" is what a query on a client whose connection already died rejects with.
const DB_CONNECTION_LOST = /terminating connection|Connection terminated|ECONNRESET|ECONNREFUSED|server closed the connection|the database system is (shutting down|starting up)|connection error and is not queryable/i;

/** Postgres is unreachable; drizzle wraps the driver's error ("Failed query: …"), so its causes are read too. */
export function isConnectionLost(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: string }).code;
    if (code === "57P01" || code === "57P02" || code === "57P03" || DB_CONNECTION_LOST.test(x instanceof Error ? x.message : String(x))) return true;
  }
  return false;
}

/** A human errorMessage for a failure that is not the SIS's (those are ConnectorErrors). */
export function failureMessage(e: unknown, phase: SyncPhase): string {
  const detail = e instanceof Error ? e.message : String(e);
  if (isConnectionLost(e)) {
    return `Lost the connection to the database during the ${phase} phase (${detail}); the load was rolled back and nothing was deactivated. The next run repairs the roster.`;
  }
  return `Sync failed unexpectedly during the ${phase} phase: ${detail}`;
}

/**
 * Retries `write` while Postgres is unreachable, for at most `forMs`. A restart takes seconds,
 * and a run whose terminal write failed would stay live (blocking the provider's next sync)
 * until the lost-run reaper ends it as "worker lost" — or BullMQ's retry would rerun it and
 * hide the failure. Past SYNC_LOCK_TIMEOUT the reaper owns the run anyway.
 */
export async function retryWhileDisconnected<T>(write: () => Promise<T>, forMs: number, log: { warn(message: string, meta?: object): unknown }): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let waitMs = 250; ; waitMs = Math.min(waitMs * 2, 5_000)) {
    try {
      return await write();
    } catch (e) {
      if (!isConnectionLost(e) || Date.now() + waitMs > deadline) throw e;
      log.warn("database unreachable; retrying the run's terminal state", { err: e, retryInMs: waitMs });
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

function optionsOf(provider: SisProviderRow): { createUsers: boolean; maxDeactivationRatio: number } {
  const o = provider.options as { createUsers?: boolean; maxDeactivationRatio?: number };
  return { createUsers: o.createUsers ?? true, maxDeactivationRatio: o.maxDeactivationRatio ?? 0.2 };
}

/** The BullMQ processor for the sync queue: owns the run row from claim to terminal state. */
export function createSyncProcessor(deps: SyncProcessorDeps) {
  const { config, db, redis, logger } = deps;
  const prefix = config.REDIS_PREFIX;

  return async function processSyncJob(job: Job): Promise<string> {
    const data = syncJobSchema.parse(job.data);
    const jobLog = logger.child({ jobId: job.id, attempt: job.attemptsMade + 1, providerId: data.providerId });

    let runId: string;
    if (data.trigger === "schedule") {
      const provider = await getLiveProvider(db.db, data.providerId);
      if (!provider || !provider.enabled) {
        jobLog.info("scheduled sync skipped: provider deleted or disabled");
        return "skipped";
      }
      const run = await createScheduledRun(db.db, provider);
      if (!run) {
        jobLog.info("scheduled sync skipped: the provider already has a live run");
        return "skipped";
      }
      runId = run.id;
    } else {
      runId = data.runId;
    }
    const log = jobLog.child({ runId });

    if (await isCancelRequested(redis, prefix, runId)) {
      await endPendingRun(db.db, runId, "CANCELLED", "Cancelled on request before it started");
      return "cancelled";
    }
    const run = await claimRun(db.db, runId, workerId);
    if (!run) {
      log.info("run already ended; nothing to do");
      return "ended";
    }
    const owned = { id: run.id, providerId: run.providerId, attempt: run.attempt };
    const log2 = log.child({ tenantId: run.tenantId });
    log2.info("sync started", { dryRun: run.dryRun, isManual: run.isManual });

    const provider = await getLiveProvider(db.db, run.providerId);
    if (!provider) {
      await finishRun(db.db, owned, { status: "FAILURE", stats: null, errorMessage: "Provider was deleted" });
      return "failed";
    }
    const decided = decideRunMode(run.mode, provider);
    if (decided.mode !== run.mode || decided.notes) await setRunMode(db.db, run.id, decided.mode, decided.notes);
    log2.info("sync mode decided", { requested: run.mode, mode: decided.mode, notes: decided.notes });

    const controller = new AbortController();
    const unwatch = deps.watcher.watch(run.id, controller);
    const onShutdown = () => controller.abort("shutdown");
    deps.shutdownSignal.addEventListener("abort", onShutdown);
    if (deps.shutdownSignal.aborted) onShutdown();

    let phase: SyncPhase = "extract";
    let progress: RunProgress = {};
    let dirty = false;
    const beat = async () => {
      const wasDirty = dirty;
      dirty = false;
      await heartbeat(db.db, run.id, run.attempt, wasDirty ? progress : undefined).catch((e) => log2.warn("heartbeat failed", { err: e }));
    };
    const interval = Math.min(PROGRESS_FLUSH_MS, Math.max(250, config.SYNC_LOCK_TIMEOUT / 3));
    const timer = setInterval(() => void beat(), interval);

    // A run that crashed has no stats to report (null on the run row), unlike one the engine ended.
    let outcome: Omit<SyncOutcome, "stats"> & { stats: SyncOutcome["stats"] | null };
    try {
      const connector = deps.createConnector(provider.providerType, deps.cipher.decrypt(provider.configEncrypted, provider.id), {
        providerId: provider.id,
        logger: log2,
        redis,
        redisPrefix: prefix,
        allowPrivateHosts: config.SIS_ALLOW_PRIVATE_HOSTS,
        requireHttps: config.NODE_ENV === "production",
      });
      outcome = await executeSync({
        db: db.db,
        pool: db.pool,
        run: { id: run.id, providerId: run.providerId, tenantId: run.tenantId, dryRun: run.dryRun, force: run.force, mode: decided.mode },
        provider: { id: provider.id, tenantId: provider.tenantId, providerType: provider.providerType, options: optionsOf(provider), syncCursor: provider.syncCursor, incremental: (provider.options as { syncMode?: string }).syncMode === "incremental" },
        connector,
        signal: controller.signal,
        logger: log2,
        setPhase: async (p) => {
          phase = p;
          await heartbeat(db.db, run.id, run.attempt, progress, p);
        },
        reportProgress: (p) => {
          progress = { ...progress, ...p };
          dirty = true;
        },
      });
    } catch (e) {
      const message = e instanceof ConnectorError ? e.message : failureMessage(e, phase);
      if (!(e instanceof ConnectorError)) log2.error("sync crashed", { err: e, phase });
      outcome = { status: controller.signal.aborted && controller.signal.reason === "cancelled" ? "CANCELLED" : "FAILURE", stats: null, errorMessage: message };
    } finally {
      clearInterval(timer);
      unwatch();
      deps.shutdownSignal.removeEventListener("abort", onShutdown);
    }

    if (controller.signal.reason === "shutdown") {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!lastAttempt && (await handBackRun(db.db, owned))) {
        log2.warn("sync handed back on shutdown; it will be retried from the start");
        throw new Error("Handed back on worker shutdown");
      }
      outcome = { ...outcome, status: "FAILURE", errorMessage: "The worker shut down during the sync and the retry limit was reached; nothing was deactivated" };
    }
    if (outcome.status === "CANCELLED") outcome.errorMessage ??= "Cancelled on request";

    const written = await retryWhileDisconnected(() => finishRun(db.db, owned, {
      status: outcome.status,
      stats: outcome.stats,
      errorMessage: outcome.errorMessage,
      progress,
      nextCursor: outcome.nextCursor,
      // A run that fell back to a full read is a full sync: it reconciled by absence.
      fullSync: decided.mode === "full" || outcome.fellBackToFull === true,
      ...(outcome.fellBackToFull
        ? { mode: "full" as const, notes: "Incremental sync fell back to a full sync: the source did not accept the stored cursor (too old or unknown)" }
        : {}),
    }), config.SYNC_LOCK_TIMEOUT, log2);
    await clearCancel(redis, prefix, run.id).catch(() => undefined);
    if (written && !run.dryRun) deps.onRunFinished?.(run.tenantId);
    log2.info("sync finished", { status: outcome.status, stats: outcome.stats, written });
    if (!written) throw new UnrecoverableError("Run was taken over or ended elsewhere");
    return outcome.status;
  };
}
